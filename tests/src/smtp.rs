//! A real SMTP server on a free local port, keeping every message it accepts.

use std::{
    net::{SocketAddr, TcpListener},
    sync::{Arc, Mutex},
};

use mailin_embedded::{Handler, Server, SslConfig, response::Response};

#[derive(Clone, Default)]
struct Keeper {
    current: Vec<u8>,
    accepted: Arc<Mutex<Vec<Vec<u8>>>>,
    /// How long the server takes over each message, as a slow relay would.
    delay: std::time::Duration,
}

impl Handler for Keeper {
    fn data_start(&mut self, _: &str, _: &str, _: bool, _: &[String]) -> Response {
        self.current.clear();
        mailin_embedded::response::OK
    }

    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.current.extend_from_slice(buf);
        Ok(())
    }

    fn data_end(&mut self) -> Response {
        std::thread::sleep(self.delay);
        let message = std::mem::take(&mut self.current);
        if let Ok(mut accepted) = self.accepted.lock() {
            accepted.push(message);
        }
        mailin_embedded::response::OK
    }
}

pub struct SmtpSink {
    pub address: SocketAddr,
    accepted: Arc<Mutex<Vec<Vec<u8>>>>,
}

impl SmtpSink {
    /// Starts the server on a thread of its own; it runs until the test process ends.
    pub fn start() -> Self {
        Self::start_slow(std::time::Duration::ZERO)
    }

    /// A server that takes `delay` over each message before accepting it.
    pub fn start_slow(delay: std::time::Duration) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
        let address = listener.local_addr().expect("its address");
        let keeper = Keeper {
            delay,
            ..Keeper::default()
        };
        let accepted = keeper.accepted.clone();
        let mut server = Server::new(keeper);
        server
            .with_name("sink.example.org")
            .with_num_threads(32)
            .with_tcp_listener(listener);
        server.with_ssl(SslConfig::None).expect("no TLS");
        std::thread::spawn(move || {
            if let Err(error) = server.serve() {
                eprintln!("the test SMTP server stopped: {error}");
            }
        });
        Self { address, accepted }
    }

    pub fn url(&self) -> String {
        format!("smtp://{}", self.address)
    }

    /// Every message accepted so far, as sent.
    pub fn messages(&self) -> Vec<String> {
        self.accepted
            .lock()
            .map(|accepted| {
                accepted
                    .iter()
                    .map(|raw| String::from_utf8_lossy(raw).into_owned())
                    .collect()
            })
            .unwrap_or_default()
    }
}
