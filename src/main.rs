//! The scim-seat binary: parse the command line, run, map to an exit code.

use clap::Parser;

fn main() {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info"))
        .target(env_logger::Target::Stderr)
        .init();
    let cli = scim_seat::cli::Cli::parse();
    std::process::exit(scim_seat::app::run(cli));
}
