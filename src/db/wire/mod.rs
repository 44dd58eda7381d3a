//! Lean connections: the socket is the tool's own, tokio-postgres runs only the startup
//! and authentication on it (SCRAM and the rest), and from then on messages are written
//! with `postgres-protocol` into one buffer and read with blocking calls from one
//! reusable buffer, on the calling thread: no channel, no connection task, no event loop
//! between a benchmark client and its socket. Also: a simple query with text results,
//! and the description of a statement (its parameter and column types). The connection
//! is registered for a cancel request on Ctrl-C while it lives.
//! Must not decide what an iteration is (see `bench::wire_session`), nor send SQL of its
//! own beyond what its caller asks.

pub mod messages;
pub mod socket;

use std::cell::RefCell;
use std::io::{self, Write};
use std::rc::Rc;
use std::time::Duration;

use bytes::BytesMut;
use postgres_protocol::message::frontend;
use tokio_postgres::types::{Kind, Type};

use crate::db::DbTarget;
use crate::db::{cancel, connect, pooler};
use messages::{Inbox, Message, ServerError};
use socket::{Endpoint, StartupShim, WireStream};

/// A failure on a lean connection.
#[derive(Debug)]
pub enum WireError {
    /// The server answered with an error.
    Server(ServerError),
    /// The socket failed or timed out, or the server sent something unreadable.
    Io(io::Error),
}

impl WireError {
    /// True when the connection cannot be used any more.
    pub fn ends_connection(&self) -> bool {
        match self {
            WireError::Server(e) => e.ends_connection(),
            WireError::Io(_) => true,
        }
    }

    /// The server's SQLSTATE, if it sent one.
    pub fn code(&self) -> Option<&str> {
        match self {
            WireError::Server(e) => Some(&e.code),
            WireError::Io(_) => None,
        }
    }

    /// The error in words, as for driver errors.
    pub fn describe(&self) -> String {
        match self {
            WireError::Server(e) => e.describe(),
            WireError::Io(e) if is_timeout(e) => format!("no answer from the server: {e}"),
            WireError::Io(e) => format!("the connection to the server was lost: {e}"),
        }
    }
}

impl From<io::Error> for WireError {
    fn from(e: io::Error) -> Self {
        WireError::Io(e)
    }
}

/// True for the error of a read past its timeout.
pub fn is_timeout(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}

/// What `describe` learnt about a statement.
#[derive(Debug, Clone, PartialEq)]
pub struct Described {
    /// The type of each `$n`.
    pub params: Vec<Type>,
    /// Each result column's name and type.
    pub columns: Vec<(String, Type)>,
}

/// An open lean connection.
pub struct WireConnection {
    stream: WireStream,
    inbox: Inbox,
    /// The messages of the next write; [`WireConnection::send`] writes and clears it.
    pub out: BytesMut,
    _cancel: cancel::Registration,
}

impl WireConnection {
    /// Connects to `target` (its endpoints in order, within its connect timeout), runs
    /// the startup and authentication, and leaves reads bounded by `read_limit`.
    /// With `read_only`, sends `default_transaction_read_only=on` as a startup option;
    /// the second value is false when a pooler refused it (SQLSTATE 08P01) and the
    /// connection was opened without it.
    pub async fn open(
        target: &DbTarget,
        read_only: bool,
        read_limit: Option<Duration>,
    ) -> crate::Result<(WireConnection, bool)> {
        let opened = if read_only {
            match open_any(&connect::read_only(target), target).await {
                Err(Failed::Driver(e)) if pooler::refuses_startup_option(&e) => {
                    open_any(target, target).await.map(|c| (c, false))
                }
                other => other.map(|c| (c, true)),
            }
        } else {
            open_any(target, target).await.map(|c| (c, false))
        };
        let (connection, option) = opened.map_err(|failed| failed.into_error(target))?;
        socket::settle(&connection.stream, read_limit).map_err(|e| {
            crate::Error::io(
                format!("cannot set up the socket to {}", target.display),
                e,
                None,
            )
        })?;
        Ok((connection, option))
    }

    /// True when TLS encrypts this connection.
    pub fn is_tls(&self) -> bool {
        self.stream.is_tls()
    }

    /// Writes [`WireConnection::out`] in one go and clears it.
    pub fn send(&mut self) -> io::Result<()> {
        self.stream.write_all(&self.out)?;
        if self.stream.is_tls() {
            self.stream.flush()?;
        }
        self.out.clear();
        Ok(())
    }

    /// The next message from the server.
    pub fn receive(&mut self) -> io::Result<Message> {
        self.inbox.next(&mut self.stream)
    }

    /// The body of the message `receive` returned last.
    pub fn body(&self, message: &Message) -> &[u8] {
        self.inbox.body(message)
    }

    /// Reads up to ReadyForQuery; the first error the server sent, if any.
    pub fn finish(&mut self) -> Result<(), WireError> {
        let mut first = None;
        loop {
            let message = self.receive()?;
            match message.tag {
                b'Z' => return first.map_or(Ok(()), |e| Err(WireError::Server(e))),
                b'E' => {
                    let error = ServerError::parse(self.body(&message))?;
                    if error.ends_connection() {
                        return Err(WireError::Server(error));
                    }
                    first.get_or_insert(error);
                }
                _ => {}
            }
        }
    }

    /// Runs `sql` with the simple query protocol; every row of every result, as text.
    pub fn simple_query(&mut self, sql: &str) -> Result<Vec<Vec<Option<String>>>, WireError> {
        self.out.clear();
        frontend::query(sql, &mut self.out)?;
        self.send()?;
        let mut rows = Vec::new();
        let mut first = None;
        loop {
            let message = self.receive()?;
            match message.tag {
                b'D' => rows.push(
                    messages::data_row(self.body(&message))?
                        .into_iter()
                        .map(|v| v.map(|b| String::from_utf8_lossy(b).into_owned()))
                        .collect(),
                ),
                b'E' => {
                    let error = ServerError::parse(self.body(&message))?;
                    if error.ends_connection() {
                        return Err(WireError::Server(error));
                    }
                    first.get_or_insert(error);
                }
                b'Z' => return first.map_or(Ok(rows), |e| Err(WireError::Server(e))),
                _ => {}
            }
        }
    }

    /// Parses `sql` as statement `name` ("" for the unnamed one) and describes it.
    pub fn describe(&mut self, name: &str, sql: &str) -> Result<Described, WireError> {
        self.out.clear();
        frontend::parse(name, sql, std::iter::empty(), &mut self.out)?;
        frontend::describe(b'S', name, &mut self.out)?;
        frontend::sync(&mut self.out);
        self.send()?;
        let mut described = Described {
            params: Vec::new(),
            columns: Vec::new(),
        };
        let mut first = None;
        loop {
            let message = self.receive()?;
            let body = self.body(&message);
            match message.tag {
                b't' => {
                    described.params = messages::parameter_description(body)?
                        .into_iter()
                        .map(type_of)
                        .collect();
                }
                b'T' => {
                    described.columns = messages::row_description(body)?
                        .into_iter()
                        .map(|(name, oid)| (name, type_of(oid)))
                        .collect();
                }
                b'E' => {
                    first.get_or_insert(ServerError::parse(body)?);
                }
                b'Z' => return first.map_or(Ok(described), |e| Err(WireError::Server(e))),
                _ => {}
            }
        }
    }
}

/// The type of `oid`: a built-in one, else a stand-in that no value binds to.
pub fn type_of(oid: u32) -> Type {
    Type::from_oid(oid)
        .unwrap_or_else(|| Type::new(format!("type {oid}"), oid, Kind::Pseudo, String::new()))
}

/// Why opening failed: the driver's error (its SQLSTATE readable), or the socket's.
enum Failed {
    Driver(tokio_postgres::Error),
    Socket(io::Error),
    Other(crate::Error),
}

impl Failed {
    fn into_error(self, target: &DbTarget) -> crate::Error {
        match self {
            Failed::Driver(e) => connect::failure(target, &e),
            Failed::Socket(e) if is_timeout(&e) => {
                connect::no_answer(target, connect::connect_timeout(target))
            }
            Failed::Socket(e) => crate::Error::environment(format!(
                "cannot connect to {} ({}): {e}. {}",
                target.display,
                connect::describe_target(target),
                connect::advice_for_unreachable()
            )),
            Failed::Other(e) => e,
        }
    }
}

/// Tries each endpoint of `addresses` in turn with the startup settings of `settings`;
/// the last failure when none answers.
async fn open_any(settings: &DbTarget, addresses: &DbTarget) -> Result<WireConnection, Failed> {
    let endpoints = socket::endpoints(addresses).map_err(Failed::Socket)?;
    let mut last = Failed::Other(crate::Error::environment(format!(
        "cannot connect to {}: it names no host",
        addresses.display
    )));
    for endpoint in endpoints {
        match open_at(settings, &endpoint).await {
            Ok(connection) => return Ok(connection),
            // The server answered: another address would not change its mind.
            Err(Failed::Driver(e)) if e.as_db_error().is_some() => return Err(Failed::Driver(e)),
            Err(failed) => last = failed,
        }
    }
    Err(last)
}

/// The socket, TLS, then tokio-postgres's startup on it; its client and connection are
/// dropped unpolled (so they send nothing more) and the socket taken back.
async fn open_at(target: &DbTarget, endpoint: &Endpoint) -> Result<WireConnection, Failed> {
    let timeout = connect::connect_timeout(target);
    let stream = socket::open(endpoint, target, timeout).map_err(Failed::Socket)?;
    let shared = Rc::new(RefCell::new(stream));
    let mut config = target.config.clone();
    config.ssl_mode(tokio_postgres::config::SslMode::Disable);
    let (client, connection) = config
        .connect_raw(StartupShim(Rc::clone(&shared)), tokio_postgres::NoTls)
        .await
        .map_err(Failed::Driver)?;
    let token = client.cancel_token();
    drop(client);
    drop(connection);
    let stream = Rc::try_unwrap(shared)
        .map_err(|_| Failed::Other(crate::Error::environment("the socket is still shared")))?
        .into_inner();
    Ok(WireConnection {
        stream,
        inbox: Inbox::default(),
        out: BytesMut::with_capacity(1024),
        _cancel: cancel::register_endpoint(token, endpoint.clone()),
    })
}
