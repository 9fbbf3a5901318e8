//! End-to-end tests of `bwcv admin create-user` and `bwcv serve`.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use assert_cmd::cargo::CommandCargoExt;

fn bwcv() -> Command {
    Command::cargo_bin("bwcv").unwrap()
}

fn create_user(dir: &std::path::Path, extra: &[&str], stdin: &str) -> std::process::Output {
    let mut command = bwcv();
    command
        .current_dir(dir)
        .args(["admin", "create-user"])
        .args(extra)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn admin_create_user_checks_its_input() {
    let dir = tempfile::tempdir().unwrap();
    let ok = create_user(
        dir.path(),
        &[
            "--username",
            "Officer",
            "--role",
            "national_authority",
            "--state-party",
            "XAR",
            "--password-stdin",
        ],
        "a long enough password\n",
    );
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let stdout = String::from_utf8(ok.stdout).unwrap();
    assert_eq!(
        stdout,
        "username\trole\tstate_party\tpassword\nofficer\tnational_authority\tXAR\t\n"
    );
    assert!(
        dir.path().join("bwcv.db").exists(),
        "default database in the working directory"
    );

    // Generated password, JSON output.
    let generated = create_user(
        dir.path(),
        &[
            "--username",
            "analyst",
            "--role",
            "secretariat_analyst",
            "--format",
            "json",
        ],
        "",
    );
    assert!(generated.status.success());
    let value: serde_json::Value = serde_json::from_slice(&generated.stdout).unwrap();
    assert_eq!(value["password"].as_str().unwrap().len(), 43);

    for (args, stdin, message) in [
        (
            vec!["--username", "officer", "--role", "inspector"],
            "",
            "already taken",
        ),
        (
            vec!["--username", "x", "--role", "national_authority"],
            "",
            "--state-party is required",
        ),
        (
            vec!["--username", "y", "--role", "king"],
            "",
            "unknown role",
        ),
        (
            vec!["--username", "z", "--role", "inspector", "--password-stdin"],
            "short\n",
            "at least 12",
        ),
        (
            vec![
                "--username",
                "w",
                "--role",
                "inspector",
                "--database",
                "mysql://x",
            ],
            "",
            "unknown database URL",
        ),
    ] {
        let output = create_user(dir.path(), &args, stdin);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(message), "{args:?}: {stderr}");
    }
}

/// A raw HTTP/1.1 GET on loopback.
fn http_get(address: &str, path: &str) -> String {
    let mut stream = TcpStream::connect(address).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response
}

#[test]
fn serve_answers_on_loopback_with_a_fresh_sqlite_file() {
    let dir = tempfile::tempdir().unwrap();
    let database = format!("sqlite://{}", dir.path().join("portal.db").display());
    let mut child = bwcv()
        .args(["serve", "--listen", "127.0.0.1:0", "--database", &database])
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut address = None;
    let mut line = String::new();
    while Instant::now() < deadline {
        line.clear();
        if stderr.read_line(&mut line).unwrap() == 0 {
            break;
        }
        if let Some(rest) = line.split("http://").nth(1) {
            address = rest.split('/').next().map(str::to_owned);
            break;
        }
    }
    let Some(address) = address else {
        let _ = child.kill();
        panic!("serve printed no address: {line}");
    };
    let login = http_get(&address, "/login");
    let api = http_get(&address, "/api/v1/declarations");
    let _ = child.kill();
    let _ = child.wait();
    assert!(login.starts_with("HTTP/1.1 200"), "{login}");
    assert!(login.contains("Log in"));
    assert!(api.starts_with("HTTP/1.1 401"), "{api}");
    assert!(dir.path().join("portal.db").exists());
}

#[test]
fn serve_refuses_an_unknown_database_url() {
    let output = bwcv()
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--database",
            "mysql://nope",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("unknown database URL"));
}

#[test]
fn demo_starts_a_seeded_portal_and_prints_the_accounts() {
    let mut child = bwcv()
        .args(["demo", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut lines = Vec::new();
    let mut line = String::new();
    // Address line, header, then one account per role and State Party.
    while lines.len() < 12 {
        line.clear();
        if stdout.read_line(&mut line).unwrap() == 0 {
            break;
        }
        lines.push(line.trim_end().to_owned());
    }
    let address = lines
        .first()
        .and_then(|l| l.split("http://").nth(1))
        .and_then(|rest| rest.split('/').next())
        .map(str::to_owned);
    let login = address.as_deref().map(|a| http_get(a, "/login"));
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        login.is_some_and(|page| page.starts_with("HTTP/1.1 200")),
        "{lines:?}"
    );
    assert_eq!(lines[1], "username\tpassword\trole\tstate_party");
    let accounts = &lines[2..];
    for role in [
        "national_authority",
        "secretariat_analyst",
        "inspector",
        "laboratory",
        "council_member",
        "administrator",
    ] {
        assert!(
            accounts.iter().any(|a| a.split('\t').nth(2) == Some(role)),
            "no {role} account: {accounts:?}"
        );
    }
    assert!(accounts.iter().any(|a| a.starts_with("xar-officer\t")));
}

#[test]
fn demo_overview_is_still_reachable() {
    let output = bwcv().args(["demo", "--overview"]).output().unwrap();
    assert!(output.status.success());
    assert!(String::from_utf8_lossy(&output.stdout).contains("XAR"));
}

/// `bwcv serve` on PostgreSQL when a server is available (CI starts one).
#[test]
fn serve_on_postgres_when_available() {
    let Ok(url) = std::env::var("BWCV_TEST_POSTGRES_URL") else {
        if std::env::var_os("CI").is_some() {
            panic!("BWCV_TEST_POSTGRES_URL must be set in CI");
        }
        eprintln!("note: BWCV_TEST_POSTGRES_URL not set; skipping bwcv serve on PostgreSQL");
        return;
    };
    let mut child = bwcv()
        .args(["serve", "--listen", "127.0.0.1:0", "--database", &url])
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    let mut address = None;
    for _ in 0..50 {
        line.clear();
        if stderr.read_line(&mut line).unwrap() == 0 {
            break;
        }
        if let Some(rest) = line.split("http://").nth(1) {
            address = rest.split('/').next().map(str::to_owned);
            break;
        }
    }
    let response = address
        .as_deref()
        .map(|a| http_get(a, "/api/v1/declarations"));
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        response.is_some_and(|r| r.starts_with("HTTP/1.1 401")),
        "{line}"
    );
}
