//! The `borderq` binary: parses the command line, runs one command, owns
//! stdout, stderr and the exit code (0 success, 2 invalid input or usage, 1 other).

mod cli;
mod commands;
mod progress;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    let result = match &cli.command {
        cli::Command::Run(args) => commands::run(args),
        cli::Command::Check(args) => commands::check(args),
        cli::Command::Bench(args) => commands::bench(args),
        cli::Command::Sweep(args) => commands::sweep(args),
        cli::Command::Merge(args) => commands::merge(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            for line in &failure.lines {
                eprintln!("error: {line}");
            }
            ExitCode::from(failure.code)
        }
    }
}
