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
    // Ends the connection tasks; benchmark threads still running after Ctrl-C have seen
    // the cancel flag and are not waited for beyond a moment.
    runtime.shutdown_timeout(std::time::Duration::from_secs(2));
    std::process::exit(code);
}
