//! The supervisor of the jobs that read files: `hma` runs itself again as
//! the job's process and watches it (`hma::supervise`).

use std::time::Duration;

use hma::supervise::{Ended, Options};

use super::{exit, Env};

/// Runs this command line again as a supervised child and returns its exit
/// status; what the supervisor does is said on stderr.
pub fn run(env: &Env) -> u8 {
    let exe = match std::env::current_exe() {
        Ok(e) => e,
        Err(e) => {
            eprintln!("hma: error: cannot find this program to run the job: {e}");
            return exit::FAILED;
        }
    };
    let args: Vec<std::ffi::OsString> = std::env::args_os().skip(1).collect();
    let opts = Options { file_limit: Duration::from_secs(env.g.file_limit), ..Default::default() };
    let mut make = || {
        let mut c = std::process::Command::new(&exe);
        c.args(&args);
        c
    };
    match hma::supervise::run(&mut make, &mut |_| Ok(()), &opts, &env.ctx.cancel, &mut |n| eprintln!("hma: {}", n.text))
    {
        Ok(Ended::Exited(code)) => code.clamp(0, 255) as u8,
        Ok(Ended::Cancelled) => {
            eprintln!("hma: cancelled; run it again to continue (what was done is kept)");
            exit::CANCELLED
        }
        Ok(Ended::Failed(why)) => {
            eprintln!("hma: error: {why}");
            exit::FAILED
        }
        Err(e) => {
            eprintln!("hma: error: cannot run the job's process: {e}");
            exit::FAILED
        }
    }
}
