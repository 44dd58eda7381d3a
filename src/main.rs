//! The binary: parse arguments, run the command on a tokio runtime, print the error
//! chain and map it to an exit code. Must not hold command logic.

use clap::Parser;

fn main() {
    // clap prints usage errors and exits 2 (help and --version exit 0).
    let cli = techspec_bench::cli::Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            std::process::exit(techspec_bench::exit_code::ENVIRONMENT_ERROR);
        }
    };
    let code = match runtime.block_on(techspec_bench::app::run(cli)) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error}");
            error.exit_code()
        }
    };
    // Dropping the runtime ends the connection tasks before the process exits.
    drop(runtime);
    std::process::exit(code);
}
