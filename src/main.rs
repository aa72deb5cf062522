//! The `borderq` binary: parses the command line, runs one command, owns
//! stdout, stderr and the exit code (0 success, 2 invalid input or usage, 1 other).

mod cli;
mod commands;
mod progress;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    end_quietly_on_a_closed_pipe();
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

/// Rust starts programs with SIGPIPE ignored, so printing into a pipe whose
/// reader has gone (`borderq check … | head -1`) fails, and `println!` would
/// panic. A command-line tool ends quietly there instead, as `cat` and `grep`
/// do: the signal's default action is restored. A run's files are written
/// before its summary is printed, so none is cut short by a closed stdout.
fn end_quietly_on_a_closed_pipe() {
    #[cfg(unix)]
    // SAFETY: called first in `main`, before any other thread exists; it sets
    // one signal's disposition to the default and touches no Rust state.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}
