//! The command line: admin commands on a stopped server's data directory, and their errors.

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn footfall(dir: &std::path::Path, args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_footfall"))
        .args(args)
        .arg("--data-dir")
        .arg(dir)
        .env("FOOTFALL_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(text) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
    }
    drop(child.stdin.take());
    child.wait_with_output().unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn admin_commands_manage_sites_users_tokens() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let list = footfall(d, &["site", "list"], None);
    assert!(list.status.success(), "{}", text(&list));
    assert!(
        text(&list).contains("demo\tlocalhost,127.0.0.1"),
        "every new database has site demo: {}",
        text(&list)
    );

    let add = footfall(
        d,
        &[
            "site",
            "add",
            "shop",
            "--domain",
            "https://Shop.Example:443",
            "--domain",
            "www.shop.example",
        ],
        None,
    );
    assert!(add.status.success(), "{}", text(&add));
    assert!(
        text(&footfall(d, &["site", "list"], None)).contains("shop\tshop.example,www.shop.example")
    );
    let again = footfall(d, &["site", "add", "shop", "--domain", "x.example"], None);
    assert!(!again.status.success());
    assert!(text(&again).contains("already exists"), "{}", text(&again));

    let user = footfall(
        d,
        &[
            "user",
            "add",
            "ann@example.com",
            "--role",
            "admin",
            "--password-stdin",
        ],
        Some("a long passphrase\n"),
    );
    assert!(user.status.success(), "{}", text(&user));
    assert!(!text(&user).contains("a long passphrase"));
    let generated = footfall(d, &["user", "add", "bob@example.com"], None);
    assert!(
        text(&generated).contains("password: "),
        "{}",
        text(&generated)
    );
    let weak = footfall(
        d,
        &["user", "add", "eve@example.com", "--password-stdin"],
        Some("short\n"),
    );
    assert!(!weak.status.success());
    assert!(text(&weak).contains("at least"), "{}", text(&weak));

    let token = footfall(d, &["token", "create", "ci"], None);
    assert!(token.status.success(), "{}", text(&token));
    assert!(
        String::from_utf8_lossy(&token.stdout)
            .trim()
            .starts_with("ff_")
    );

    let seed = footfall(
        d,
        &["seed", "--site", "shop", "--events", "20000", "--days", "3"],
        None,
    );
    assert!(seed.status.success(), "{}", text(&seed));
    assert!(
        text(&seed).contains("seeded 20000 events"),
        "{}",
        text(&seed)
    );
}

#[test]
fn argument_and_config_errors_name_the_offending_key() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let bad_site = footfall(
        d,
        &["site", "add", "Bad Site", "--domain", "x.example"],
        None,
    );
    assert!(!bad_site.status.success());
    assert!(text(&bad_site).contains("SITE_ID"), "{}", text(&bad_site));
    let no_domain = footfall(d, &["site", "add", "x"], None);
    assert!(!no_domain.status.success());
    assert!(
        text(&no_domain).contains("--domain"),
        "{}",
        text(&no_domain)
    );
    let config = d.join("footfall.toml");
    std::fs::write(
        &config,
        "listen = \"127.0.0.1:1\"\nrate_limit_per_ip = \"many\"\n",
    )
    .unwrap();
    let bad = footfall(
        d,
        &["site", "list", "--config", config.to_str().unwrap()],
        None,
    );
    assert!(!bad.status.success());
    assert!(text(&bad).contains("rate_limit_per_ip"), "{}", text(&bad));
    let unknown_seed_site = footfall(d, &["seed", "--site", "nope", "--events", "10"], None);
    assert!(!unknown_seed_site.status.success());
    assert!(
        text(&unknown_seed_site).contains("--site"),
        "{}",
        text(&unknown_seed_site)
    );
}

#[test]
fn admin_commands_refuse_a_directory_a_server_holds() {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut server = Command::new(env!("CARGO_BIN_EXE_footfall"))
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .arg("--data-dir")
        .arg(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // The first start prints the admin credentials once, then the address.
    let mut out = std::io::BufReader::new(server.stdout.take().unwrap());
    let mut printed = String::new();
    while !printed.contains("listening") {
        let mut line = String::new();
        if std::io::BufRead::read_line(&mut out, &mut line).unwrap() == 0 {
            break;
        }
        printed.push_str(&line);
    }
    assert!(printed.contains("password: "), "{printed}");
    let held = footfall(dir.path(), &["site", "list"], None);
    assert!(!held.status.success());
    assert!(
        text(&held).contains("in use by a running footfall server"),
        "{}",
        text(&held)
    );
    Command::new("kill")
        .arg("-TERM")
        .arg(server.id().to_string())
        .status()
        .unwrap();
    server.wait().unwrap();

    // A later start prints nothing secret.
    let mut again = Command::new(env!("CARGO_BIN_EXE_footfall"))
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .arg("--data-dir")
        .arg(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut out = std::io::BufReader::new(again.stdout.take().unwrap());
    let mut line = String::new();
    std::io::BufRead::read_line(&mut out, &mut line).unwrap();
    assert!(
        line.contains("listening") && !line.contains("password"),
        "{line}"
    );
    Command::new("kill")
        .arg("-TERM")
        .arg(again.id().to_string())
        .status()
        .unwrap();
    again.wait().unwrap();
}

#[test]
fn site_options_change_with_site_set() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let set = footfall(
        d,
        &[
            "site",
            "set",
            "demo",
            "--raw-keys",
            "true",
            "--ip-mode",
            "hash",
        ],
        None,
    );
    assert!(set.status.success(), "{}", text(&set));
    let list = text(&footfall(d, &["site", "list"], None));
    assert!(
        list.contains("demo\tlocalhost,127.0.0.1\traw_keys=true\tip=hash"),
        "{list}"
    );
    let bad = footfall(d, &["site", "set", "demo", "--ip-mode", "keep"], None);
    assert!(!bad.status.success());
    assert!(text(&bad).contains("--ip-mode"), "{}", text(&bad));
    let unknown = footfall(d, &["site", "set", "nope", "--raw-keys", "false"], None);
    assert!(
        text(&unknown).contains("unknown site"),
        "{}",
        text(&unknown)
    );
}
