//! One bad file must not take a job down: the code that reads a file's
//! bytes (our parsers, the decoders, the models' preprocessing) runs under
//! [`catch`], and a panic becomes an error recorded against that file.

use std::panic::{catch_unwind, AssertUnwindSafe};

/// Runs `f`; a panic in it becomes `Err` with a message for the file's
/// error ("an internal error … (a bug): MESSAGE"). What `f` borrows is not
/// used again after a panic except to be dropped, so unwind safety holds
/// for the callers' uses (buffers that are refilled from scratch, locks
/// taken outside).
pub fn catch<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    catch_unwind(AssertUnwindSafe(f)).map_err(|p| {
        let msg = p
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| p.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "no message".into());
        format!("an internal error stopped the reading of this file (a bug; please report it): {msg}")
    })
}

/// Runs `f`, which reads the bytes of one file for `stage`, as every
/// reading of a file runs: noted in the supervised job's flight recorder
/// (and refused with its reason when the supervisor condemned this file
/// for a crash or a hang), the stage's failpoint hit, a panic caught.
pub fn watch<T>(stage: &str, bytes: &[u8], f: impl FnOnce() -> T) -> Result<T, String> {
    let _flight = crate::flight::enter(stage, bytes)?;
    catch(|| {
        crate::failpoint::hit(stage, bytes);
        f()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_an_error_and_a_value_passes() {
        assert_eq!(catch(|| 7), Ok(7));
        let e = catch(|| -> u8 { panic!("index 9 out of range") }).unwrap_err();
        assert!(e.contains("index 9 out of range") && e.contains("a bug"), "{e}");
        let n = 3;
        let e = catch(|| -> u8 { panic!("{n} boxes") }).unwrap_err();
        assert!(e.ends_with("3 boxes"), "{e}");
    }
}
