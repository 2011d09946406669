//! A minimal W3C WebDriver client for chromedriver: just the calls the end-to-end
//! test and the measurement tool need, over plain HTTP/1.1 on loopback.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

/// The Chromium flags every headless run here needs (root, no GPU, closed network).
pub const CHROMIUM_FLAGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1280,900",
];

pub type Result<T> = std::result::Result<T, String>;

/// A running chromedriver with one browser session; both end when dropped.
pub struct Browser {
    driver: Child,
    port: u16,
    session: String,
    profile: std::path::PathBuf,
}

fn free_port() -> Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    listener
        .local_addr()
        .map(|a| a.port())
        .map_err(|e| e.to_string())
}

fn http(port: u16, method: &str, path: &str, body: Option<&Value>) -> Result<Value> {
    let mut stream =
        TcpStream::connect(("127.0.0.1", port)).map_err(|e| format!("connect: {e}"))?;
    stream
        .set_read_timeout(Some(Duration::from_secs(120)))
        .map_err(|e| e.to_string())?;
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .map_err(|e| e.to_string())?;
    // chromedriver keeps the connection open despite `Connection: close`, so the
    // body is read by its length, not to the end of the stream.
    let (head, mut body) = read_head(&mut stream)?;
    let header = |name: &str| {
        head.lines().find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.trim()
                .eq_ignore_ascii_case(name)
                .then(|| value.trim().to_string())
        })
    };
    if let Some(length) = header("content-length").and_then(|l| l.parse::<usize>().ok()) {
        let mut chunk = [0u8; 8192];
        while body.len() < length {
            let read = stream.read(&mut chunk).map_err(|e| format!("read: {e}"))?;
            if read == 0 {
                break;
            }
            body.extend_from_slice(&chunk[..read]);
        }
    } else {
        stream
            .read_to_end(&mut body)
            .map_err(|e| format!("read: {e}"))?;
    }
    let body = String::from_utf8_lossy(&body).into_owned();
    let body = if header("transfer-encoding").is_some_and(|t| t.eq_ignore_ascii_case("chunked")) {
        dechunk(&body)
    } else {
        body
    };
    let value: Value =
        serde_json::from_str(&body).map_err(|e| format!("bad JSON ({e}): {body}"))?;
    if let Some(error) = value.pointer("/value/error") {
        return Err(format!(
            "webdriver error {error}: {}",
            value.pointer("/value/message").unwrap_or(&Value::Null)
        ));
    }
    Ok(value)
}

/// Reads up to the end of the headers; returns them and any body bytes read along.
fn read_head(stream: &mut TcpStream) -> Result<(String, Vec<u8>)> {
    let mut raw = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        if let Some(end) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&raw[..end]).into_owned();
            return Ok((head, raw[end + 4..].to_vec()));
        }
        let read = stream.read(&mut chunk).map_err(|e| format!("read: {e}"))?;
        if read == 0 {
            return Err("connection closed before the headers ended".into());
        }
        raw.extend_from_slice(&chunk[..read]);
    }
}

fn dechunk(body: &str) -> String {
    let mut out = String::new();
    let mut rest = body;
    while let Some((size, after)) = rest.split_once("\r\n") {
        let Ok(size) = usize::from_str_radix(size.trim(), 16) else {
            break;
        };
        if size == 0 || after.len() < size {
            break;
        }
        out.push_str(&after[..size]);
        rest = after[size..].trim_start_matches("\r\n");
    }
    out
}

impl Browser {
    /// Starts chromedriver and a headless Chromium session with a fresh profile.
    pub fn start() -> Result<Browser> {
        Browser::start_with(&[])
    }

    /// The same, with extra Chromium flags (`--force-prefers-reduced-motion`).
    pub fn start_with(flags: &[&str]) -> Result<Browser> {
        let port = free_port()?;
        let driver = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start chromedriver ({e}); run scripts/setup"))?;
        let started = Instant::now();
        while http(port, "GET", "/status", None).is_err() {
            if started.elapsed() > Duration::from_secs(20) {
                return Err("chromedriver did not come up".into());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let profile = std::env::temp_dir().join(format!("distlab-chrome-{port}"));
        let _ = std::fs::remove_dir_all(&profile);
        let mut args: Vec<String> = CHROMIUM_FLAGS.iter().map(|s| s.to_string()).collect();
        args.push(format!("--user-data-dir={}", profile.display()));
        args.extend(flags.iter().map(|f| f.to_string()));
        let mut options = json!({ "args": args });
        if std::path::Path::new("/usr/bin/chromium").exists() {
            options["binary"] = json!("/usr/bin/chromium");
        }
        let capabilities = json!({
            "capabilities": { "alwaysMatch": {
                "browserName": "chrome",
                "goog:chromeOptions": options,
                "goog:loggingPrefs": { "browser": "ALL" }
            }}
        });
        let mut browser = Browser {
            driver,
            port,
            session: String::new(),
            profile,
        };
        let response = http(port, "POST", "/session", Some(&capabilities))?;
        browser.session = response
            .pointer("/value/sessionId")
            .and_then(Value::as_str)
            .ok_or("no session id")?
            .to_string();
        Ok(browser)
    }

    fn call(&self, method: &str, path: &str, body: Option<Value>) -> Result<Value> {
        http(
            self.port,
            method,
            &format!("/session/{}{path}", self.session),
            body.as_ref(),
        )
    }

    pub fn goto(&self, url: &str) -> Result<()> {
        self.call("POST", "/url", Some(json!({ "url": url })))
            .map(|_| ())
    }

    /// Runs `script` (a function body; `arguments` are `args`) and returns its value.
    pub fn eval(&self, script: &str, args: Vec<Value>) -> Result<Value> {
        let response = self.call(
            "POST",
            "/execute/sync",
            Some(json!({ "script": script, "args": args })),
        )?;
        Ok(response.get("value").cloned().unwrap_or(Value::Null))
    }

    /// Runs `script` asynchronously: it gets a callback as its last argument and
    /// calls it with the result.
    pub fn eval_async(&self, script: &str, args: Vec<Value>) -> Result<Value> {
        let response = self.call(
            "POST",
            "/execute/async",
            Some(json!({ "script": script, "args": args })),
        )?;
        Ok(response.get("value").cloned().unwrap_or(Value::Null))
    }

    /// Sends a DevTools Protocol command (`Emulation.setCPUThrottlingRate`,
    /// say) through chromedriver's Chromium extension; returns its result.
    pub fn devtools(&self, command: &str, params: Value) -> Result<Value> {
        let response = self.call(
            "POST",
            "/goog/cdp/execute",
            Some(json!({ "cmd": command, "params": params })),
        )?;
        Ok(response.get("value").cloned().unwrap_or(Value::Null))
    }

    /// Resizes the window, as a phone's screen would be.
    pub fn set_window_size(&self, width: u32, height: u32) -> Result<()> {
        self.call(
            "POST",
            "/window/rect",
            Some(json!({ "width": width, "height": height })),
        )
        .map(|_| ())
    }

    /// Clicks the first element matching `css` (a real WebDriver click).
    pub fn click(&self, css: &str) -> Result<()> {
        let found = self.call(
            "POST",
            "/element",
            Some(json!({ "using": "css selector", "value": css })),
        )?;
        let element = found
            .get("value")
            .and_then(|v| v.as_object())
            .and_then(|o| o.values().next())
            .and_then(Value::as_str)
            .ok_or_else(|| format!("no element {css}"))?
            .to_string();
        self.call(
            "POST",
            &format!("/element/{element}/click"),
            Some(json!({})),
        )
        .map(|_| ())
    }

    /// Polls `script` until it returns something truthy, for at most `timeout`.
    pub fn wait_for(&self, script: &str, timeout: Duration) -> Result<Value> {
        let started = Instant::now();
        loop {
            let value = self.eval(script, vec![])?;
            let truthy = !matches!(value, Value::Null | Value::Bool(false))
                && value != json!("")
                && value != json!(0);
            if truthy {
                return Ok(value);
            }
            if started.elapsed() > timeout {
                return Err(format!("timed out after {timeout:?} waiting for: {script}"));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Browser console entries at level SEVERE (errors) since the last call.
    pub fn console_errors(&self) -> Result<Vec<String>> {
        self.console(&["SEVERE"])
    }

    /// Browser console entries at `levels` (`SEVERE`, `WARNING`, `INFO`) since the
    /// last call.
    pub fn console(&self, levels: &[&str]) -> Result<Vec<String>> {
        let logs = self.call("POST", "/se/log", Some(json!({ "type": "browser" })))?;
        Ok(logs
            .get("value")
            .and_then(Value::as_array)
            .map(|entries| {
                entries
                    .iter()
                    .filter(|e| {
                        e.get("level")
                            .and_then(Value::as_str)
                            .is_some_and(|level| levels.contains(&level))
                    })
                    .map(|e| {
                        e.get("message")
                            .and_then(Value::as_str)
                            .unwrap_or("?")
                            .to_string()
                    })
                    .collect()
            })
            .unwrap_or_default())
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.call("DELETE", "", None);
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}
