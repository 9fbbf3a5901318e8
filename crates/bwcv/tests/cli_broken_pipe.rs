//! Regression: a reader that closes stdout early (`bwcv lists show | head -1`)
//! made bwcv print "error: writing to stdout: Broken pipe" and exit 2.

use std::process::{Command, Stdio};

#[test]
fn closed_stdout_is_not_an_error() {
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("bwcv"))
        .args(["lists", "show"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start bwcv");
    // Close our end of the pipe at once: bwcv's first write then fails
    // with EPIPE (Rust ignores SIGPIPE), which is what `head` causes.
    drop(child.stdout.take());
    let output = child.wait_with_output().expect("bwcv ends");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("Broken pipe"), "stderr: {stderr}");
    assert_eq!(output.status.code(), Some(0), "stderr: {stderr}");
}
