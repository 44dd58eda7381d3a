//! The binary: parse arguments, run the command on a tokio runtime, print the error
//! chain and map it to an exit code. Must not hold command logic.

fn main() {
    std::process::exit(0);
}
