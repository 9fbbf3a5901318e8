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

/// Starts `bwcv serve` on `database`; returns the child and its address
/// (the caller kills and waits for it).
#[allow(clippy::zombie_processes)]
fn start_serve(database: &str) -> (std::process::Child, String) {
    let mut child = bwcv()
        .args(["serve", "--listen", "127.0.0.1:0", "--database", database])
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    for _ in 0..50 {
        line.clear();
        if stderr.read_line(&mut line).unwrap() == 0 {
            break;
        }
        if let Some(rest) = line.split("http://").nth(1) {
            let address = rest.split('/').next().unwrap().to_owned();
            // Keep draining stderr so the server never blocks on it.
            std::thread::spawn(move || {
                let mut sink = String::new();
                let _ = stderr.read_to_string(&mut sink);
            });
            return (child, address);
        }
    }
    let _ = child.kill();
    panic!("serve printed no address: {line}");
}

/// One HTTP/1.1 request with a Bearer token; `None` when the connection
/// fails (the server is gone).
fn api(address: &str, method: &str, path: &str, token: &str, body: &str) -> Option<(u16, String)> {
    let mut stream = TcpStream::connect(address).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .ok()?;
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    let (head, body) = response.split_once("\r\n\r\n")?;
    let status = head.split_whitespace().nth(1)?.parse().ok()?;
    Some((status, body.to_owned()))
}

/// Kills the server with SIGKILL in the middle of a burst of submissions,
/// restarts it on the same SQLite file, and finds every acknowledged
/// submission complete (submitted, same digest, ledger entry) and no
/// submitted declaration without its ledger entry.
#[test]
fn every_acknowledged_submission_survives_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let database = format!("sqlite://{}", dir.path().join("durable.db").display());
    let created = create_user(
        dir.path(),
        &[
            "--username",
            "xar-officer",
            "--role",
            "national_authority",
            "--state-party",
            "XAR",
            "--database",
            &database,
        ],
        "",
    );
    assert!(created.status.success());
    let token_output = bwcv()
        .args([
            "admin",
            "create-token",
            "--username",
            "xar-officer",
            "--database",
            &database,
        ])
        .output()
        .unwrap();
    assert!(
        token_output.status.success(),
        "{}",
        String::from_utf8_lossy(&token_output.stderr)
    );
    let token = String::from_utf8(token_output.stdout)
        .unwrap()
        .trim()
        .to_owned();

    let (mut child, address) = start_serve(&database);
    let acknowledged = std::sync::Arc::new(std::sync::Mutex::new(Vec::<(i64, String)>::new()));
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut workers = Vec::new();
    for worker in 0..4 {
        let (address, token) = (address.clone(), token.clone());
        let (acknowledged, stop) = (acknowledged.clone(), stop.clone());
        workers.push(std::thread::spawn(move || {
            for n in 0..500 {
                if stop.load(std::sync::atomic::Ordering::SeqCst) {
                    break;
                }
                let year = 2000 + worker * 500 + n;
                let body = serde_json::json!({
                    "submit": true,
                    "submission": {
                        "format_version": 1, "state_party": "XAR", "reporting_year": year,
                        "visibility": "public",
                        "forms": {"form_0": {"measures": {}}}
                    }
                });
                let Some((status, text)) = api(
                    &address,
                    "POST",
                    "/api/v1/declarations",
                    &token,
                    &body.to_string(),
                ) else {
                    break;
                };
                if status == 201 {
                    let value: serde_json::Value = serde_json::from_str(&text).unwrap();
                    assert_eq!(value["status"], "submitted", "{text}");
                    acknowledged.lock().unwrap().push((
                        value["id"].as_i64().unwrap(),
                        value["digest"].as_str().unwrap().to_owned(),
                    ));
                }
            }
        }));
    }
    // Kill in the middle of the burst.
    let deadline = Instant::now() + Duration::from_secs(60);
    while acknowledged.lock().unwrap().len() < 40 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    child.kill().unwrap(); // SIGKILL on Unix
    child.wait().unwrap();
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    for worker in workers {
        worker.join().unwrap();
    }
    let acknowledged = acknowledged.lock().unwrap().clone();
    assert!(
        acknowledged.len() >= 40,
        "burst too short: {}",
        acknowledged.len()
    );

    let (mut child, address) = start_serve(&database);
    let listed = api(&address, "GET", "/api/v1/declarations", &token, "");
    let mut missing = Vec::new();
    for (id, digest) in &acknowledged {
        match api(
            &address,
            "GET",
            &format!("/api/v1/declarations/{id}"),
            &token,
            "",
        ) {
            Some((200, text)) => {
                let value: serde_json::Value = serde_json::from_str(&text).unwrap();
                if value["status"] != "submitted"
                    || value["digest"] != digest.as_str()
                    || value["ledger_index"].is_null()
                    || value["body"]["state_party"] != "XAR"
                {
                    missing.push(format!("{id}: {text}"));
                }
            }
            other => missing.push(format!("{id}: {other:?}")),
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        missing.is_empty(),
        "lost or damaged after SIGKILL: {missing:?}"
    );
    let (status, text) = listed.unwrap();
    assert_eq!(status, 200);
    let all: serde_json::Value = serde_json::from_str(&text).unwrap();
    for declaration in all.as_array().unwrap() {
        if declaration["status"] == "submitted" {
            assert!(
                !declaration["ledger_index"].is_null(),
                "half-written: {declaration}"
            );
        }
    }
}

#[test]
fn serve_refuses_an_unreadable_log_key_before_listening() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such.key");
    let output = bwcv()
        .args(["serve", "--listen", "127.0.0.1:0", "--database"])
        .arg(format!("sqlite://{}", dir.path().join("p.db").display()))
        .arg("--log-key")
        .arg(&missing)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("no-such.key"), "stderr: {stderr}");
}
