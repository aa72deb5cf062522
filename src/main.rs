//! The `borderq` binary: parses the command line, runs one command, owns
//! stdout, stderr and the exit code (0 success, 2 invalid input or usage, 1 other).

mod cli;
mod commands;
mod progress;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    // A panic is a bug, not bad input: say so, and end with exit code 1 as
    // any other failure does (not an abort and its core file).
    let report = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        report(info);
        eprintln!(
            "error: borderq stopped on an internal error (a bug); please report it with the \
             command and the scenario file"
        );
        std::process::exit(1);
    }));
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
