//! A fault-injecting HTTP proxy on 127.0.0.1 in front of moto (or the CloudWatch shim),
//! run by the test on its own threads (it ends with the test process). Per AWS action
//! (`X-Amz-Target` for ECS, the path's operation for CloudWatch's CBOR protocol, the
//! form's `Action` for the Query protocols of Auto Scaling and EC2) it can throttle,
//! answer 5xx, refuse (AccessDenied), hang, drop the connection, apply then drop the answer (a lost answer),
//! or acknowledge without applying (a lost write).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::{cbor_error, query_error};

/// What the proxy does to a matching call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// AWS's throttling error (HTTP 400, `ThrottlingException` / `Throttling`).
    Throttle,
    /// HTTP 503.
    ServerError,
    /// A permanent refusal: HTTP 403, `AccessDenied` (a missing right).
    Denied,
    /// Never answer (closes after a minute).
    Hang,
    /// Close the connection without forwarding.
    Drop,
    /// Forward (the call is applied), then close without answering.
    LostAnswer,
    /// Answer success without forwarding (the write is lost).
    LostWrite,
}

/// A call the proxy saw: its operation, and the fault it got (`None`: forwarded).
pub type Seen = (String, Option<Mode>);

#[derive(Debug, Clone)]
struct Rule {
    op: String,
    mode: Mode,
    times: Option<u32>,
}

/// A running proxy.
#[derive(Clone)]
pub struct Proxy {
    pub url: String,
    rules: Arc<Mutex<Vec<Rule>>>,
    /// Every call seen, in order.
    pub seen: Arc<Mutex<Vec<Seen>>>,
}

impl Proxy {
    /// Starts a proxy to `upstream` (`http://host:port`).
    pub fn start(upstream: &str) -> Self {
        let upstream = upstream
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_owned();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let proxy = Proxy {
            url,
            rules: Arc::default(),
            seen: Arc::default(),
        };
        let p = proxy.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let (p, upstream) = (p.clone(), upstream.clone());
                std::thread::spawn(move || p.serve(stream, &upstream));
            }
        });
        proxy
    }

    /// `mode` for `op`, `times` times (`None`: until cleared).
    pub fn set(&self, op: &str, mode: Mode, times: Option<u32>) {
        let mut rules = self.rules.lock().unwrap();
        rules.retain(|r| r.op != op);
        rules.push(Rule {
            op: op.to_owned(),
            mode,
            times,
        });
    }

    pub fn clear(&self) {
        self.rules.lock().unwrap().clear();
    }

    /// How often `op` was answered with `mode`.
    pub fn count(&self, op: &str, mode: Option<Mode>) -> usize {
        self.seen
            .lock()
            .unwrap()
            .iter()
            .filter(|(o, m)| o == op && *m == mode)
            .count()
    }

    fn take(&self, op: &str) -> Option<Mode> {
        let mut rules = self.rules.lock().unwrap();
        let r = rules.iter_mut().find(|r| r.op == op)?;
        match r.times.as_mut() {
            Some(0) => None,
            Some(n) => {
                *n -= 1;
                Some(r.mode)
            }
            None => Some(r.mode),
        }
    }

    fn serve(&self, mut client: TcpStream, upstream: &str) {
        let Some(req) = read_request(&client) else {
            return;
        };
        let op = req.operation();
        let mode = self.take(&op);
        self.seen.lock().unwrap().push((op.clone(), mode));
        let protocol = req.protocol();
        let answer = |status: u16, code: &str| -> Vec<u8> {
            let (ctype, extra, body) = match protocol {
                Protocol::Json => (
                    "application/x-amz-json-1.1",
                    String::new(),
                    format!(r#"{{"__type":"{code}","message":"injected"}}"#).into_bytes(),
                ),
                Protocol::Cbor => (
                    "application/cbor",
                    "smithy-protocol: rpc-v2-cbor\r\n".to_owned(),
                    cbor_error(code),
                ),
                Protocol::Query => (
                    "text/xml",
                    String::new(),
                    query_error(code, "injected").into_bytes(),
                ),
            };
            let mut out = format!(
                "HTTP/1.1 {status} X\r\nContent-Type: {ctype}\r\n{extra}Content-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            )
            .into_bytes();
            out.extend(body);
            out
        };
        let reply = match mode {
            None => forward(&req, upstream),
            Some(Mode::Throttle) => Some(answer(
                400,
                match protocol {
                    Protocol::Query => "Throttling",
                    _ => "ThrottlingException",
                },
            )),
            Some(Mode::ServerError) => Some(answer(503, "ServiceUnavailable")),
            Some(Mode::Denied) => Some(answer(
                403,
                match protocol {
                    Protocol::Query => "AccessDenied",
                    _ => "AccessDeniedException",
                },
            )),
            Some(Mode::Hang) => {
                std::thread::sleep(Duration::from_secs(60));
                None
            }
            Some(Mode::Drop) => None,
            Some(Mode::LostAnswer) => {
                let _ = forward(&req, upstream);
                None
            }
            Some(Mode::LostWrite) => Some(success(protocol, &op)),
        };
        if let Some(bytes) = reply {
            let _ = client.write_all(&bytes);
            let _ = client.flush();
        }
        let _ = client.shutdown(std::net::Shutdown::Both);
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Protocol {
    Json,
    Cbor,
    Query,
}

struct Request {
    head: Vec<String>,
    body: Vec<u8>,
}

impl Request {
    fn header(&self, name: &str) -> Option<&str> {
        self.head.iter().skip(1).find_map(|h| {
            let (k, v) = h.split_once(':')?;
            k.trim().eq_ignore_ascii_case(name).then(|| v.trim())
        })
    }

    fn protocol(&self) -> Protocol {
        if self.header("x-amz-target").is_some() {
            Protocol::Json
        } else if self.head[0].contains("/service/") {
            Protocol::Cbor
        } else {
            Protocol::Query
        }
    }

    fn operation(&self) -> String {
        if let Some(t) = self.header("x-amz-target") {
            return t.rsplit('.').next().unwrap_or(t).to_owned();
        }
        if let Some(path) = self.head[0].split_whitespace().nth(1)
            && let Some((_, op)) = path.rsplit_once("/operation/")
        {
            return op.to_owned();
        }
        String::from_utf8_lossy(&self.body)
            .split('&')
            .find_map(|kv| kv.strip_prefix("Action=").map(str::to_owned))
            .unwrap_or_default()
    }
}

fn read_request(stream: &TcpStream) -> Option<Request> {
    let mut r = BufReader::new(stream);
    let mut head = Vec::new();
    loop {
        let mut line = String::new();
        if r.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end().to_owned();
        if line.is_empty() {
            break;
        }
        head.push(line);
    }
    let mut req = Request {
        head,
        body: Vec::new(),
    };
    let len: usize = req
        .header("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    req.body = vec![0; len];
    r.read_exact(&mut req.body).ok()?;
    Some(req)
}

/// Sends `req` upstream with `Connection: close`; the whole answer.
fn forward(req: &Request, upstream: &str) -> Option<Vec<u8>> {
    let mut up = TcpStream::connect(upstream).ok()?;
    let mut out = String::new();
    out.push_str(&req.head[0]);
    out.push_str("\r\n");
    for h in req.head.iter().skip(1) {
        if h.to_ascii_lowercase().starts_with("connection:") {
            continue;
        }
        out.push_str(h);
        out.push_str("\r\n");
    }
    out.push_str("Connection: close\r\n\r\n");
    up.write_all(out.as_bytes()).ok()?;
    up.write_all(&req.body).ok()?;
    let mut answer = Vec::new();
    up.read_to_end(&mut answer).ok()?;
    Some(answer)
}

/// A success answer that applies nothing.
fn success(protocol: Protocol, op: &str) -> Vec<u8> {
    let (ctype, body): (&str, Vec<u8>) = match protocol {
        Protocol::Json => ("application/x-amz-json-1.1", b"{}".to_vec()),
        // An empty CBOR map.
        Protocol::Cbor => ("application/cbor", vec![0xa0]),
        Protocol::Query => (
            "text/xml",
            format!(
                "<{op}Response xmlns=\"http://autoscaling.amazonaws.com/doc/2011-01-01/\">\
                 <ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></{op}Response>"
            )
            .into_bytes(),
        ),
    };
    let mut out = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    out.extend(body);
    out
}
