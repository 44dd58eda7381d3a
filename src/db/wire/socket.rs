//! The socket of a lean connection: the addresses a target names (hosts, `hostaddr`,
//! ports, Unix socket directories, tried in order), a blocking connect bounded by the
//! connect timeout, TLS negotiated here (SSLRequest, 'S'/'N' honoured per sslmode, a
//! rustls handshake with the configuration `db::tls` builds), and the adapter that lets
//! tokio-postgres run the startup and authentication on this socket. Must not speak the
//! query protocol (see `db::wire`), nor decide which startup options to send.

use std::cell::RefCell;
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use rustls::pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio_postgres::config::Host;

use crate::db::DbTarget;
use crate::db::tls::{self, SslMode};

/// Where one connection attempt goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    /// A TCP address, with the host name it was given as (for TLS and messages).
    Tcp { addr: SocketAddr, name: String },
    /// A Unix-domain socket file (`<dir>/.s.PGSQL.<port>`).
    Unix(PathBuf),
}

/// A connected socket, encrypted or not, read and written with blocking calls.
pub enum WireStream {
    Tcp(TcpStream),
    Unix(UnixStream),
    Tls(Box<rustls::StreamOwned<rustls::ClientConnection, TcpStream>>),
}

impl WireStream {
    /// Bounds every later read (`None`: wait for ever). A read past it fails with
    /// `WouldBlock` or `TimedOut`.
    pub fn set_read_timeout(&self, limit: Option<Duration>) -> io::Result<()> {
        match self {
            WireStream::Tcp(s) => s.set_read_timeout(limit),
            WireStream::Unix(s) => s.set_read_timeout(limit),
            WireStream::Tls(s) => s.sock.set_read_timeout(limit),
        }
    }

    fn set_write_timeout(&self, limit: Option<Duration>) -> io::Result<()> {
        match self {
            WireStream::Tcp(s) => s.set_write_timeout(limit),
            WireStream::Unix(s) => s.set_write_timeout(limit),
            WireStream::Tls(s) => s.sock.set_write_timeout(limit),
        }
    }

    /// True when TLS encrypts this connection.
    pub fn is_tls(&self) -> bool {
        matches!(self, WireStream::Tls(_))
    }
}

impl Read for WireStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            WireStream::Tcp(s) => s.read(buf),
            WireStream::Unix(s) => s.read(buf),
            WireStream::Tls(s) => s.read(buf),
        }
    }
}

impl Write for WireStream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            WireStream::Tcp(s) => s.write(buf),
            WireStream::Unix(s) => s.write(buf),
            WireStream::Tls(s) => s.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            WireStream::Tcp(s) => s.flush(),
            WireStream::Unix(s) => s.flush(),
            WireStream::Tls(s) => s.flush(),
        }
    }
}

/// The endpoints of `target` in the order libpq tries them: each host with its port
/// (the one at the same position, else the only one, else 5432), a `hostaddr` instead of
/// resolving its host, every address a host name resolves to.
pub fn endpoints(target: &DbTarget) -> io::Result<Vec<Endpoint>> {
    let config = &target.config;
    let (hosts, ports, addrs) = (
        config.get_hosts(),
        config.get_ports(),
        config.get_hostaddrs(),
    );
    let port = |i: usize| ports.get(i).or(ports.first()).copied().unwrap_or(5432);
    let mut out = Vec::new();
    if hosts.is_empty() {
        for (i, ip) in addrs.iter().enumerate() {
            let addr = SocketAddr::new(*ip, port(i));
            out.push(Endpoint::Tcp {
                addr,
                name: ip.to_string(),
            });
        }
    }
    for (i, host) in hosts.iter().enumerate() {
        match (host, addrs.get(i)) {
            (Host::Unix(dir), _) => {
                out.push(Endpoint::Unix(dir.join(format!(".s.PGSQL.{}", port(i)))))
            }
            (Host::Tcp(name), Some(ip)) => out.push(Endpoint::Tcp {
                addr: SocketAddr::new(*ip, port(i)),
                name: name.clone(),
            }),
            (Host::Tcp(name), None) => {
                for addr in (name.as_str(), port(i)).to_socket_addrs()? {
                    out.push(Endpoint::Tcp {
                        addr,
                        name: name.clone(),
                    });
                }
            }
        }
    }
    Ok(out)
}

/// Connects to `endpoint` within `timeout` and negotiates TLS as `target.tls` asks
/// (never on a Unix socket). Reads and writes are bounded by `timeout` until the
/// caller changes it.
pub fn open(endpoint: &Endpoint, target: &DbTarget, timeout: Duration) -> io::Result<WireStream> {
    let stream = match endpoint {
        Endpoint::Unix(path) => WireStream::Unix(UnixStream::connect(path)?),
        Endpoint::Tcp { addr, name } => {
            let tcp = TcpStream::connect_timeout(addr, timeout)?;
            tcp.set_nodelay(true)?;
            tcp.set_read_timeout(Some(timeout))?;
            tcp.set_write_timeout(Some(timeout))?;
            negotiate_tls(tcp, name, &target.tls)?
        }
    };
    stream.set_read_timeout(Some(timeout))?;
    stream.set_write_timeout(Some(timeout))?;
    Ok(stream)
}

/// The SSLRequest and, when the server accepts, the rustls handshake.
fn negotiate_tls(
    mut tcp: TcpStream,
    host: &str,
    settings: &tls::TlsSettings,
) -> io::Result<WireStream> {
    let Some(config) = tls::client_config(settings).map_err(io::Error::other)? else {
        return Ok(WireStream::Tcp(tcp));
    };
    let mut request = bytes::BytesMut::new();
    postgres_protocol::message::frontend::ssl_request(&mut request);
    tcp.write_all(&request)?;
    let mut answer = [0u8; 1];
    tcp.read_exact(&mut answer)?;
    match (answer[0], settings.mode) {
        (b'S', _) => handshake(tcp, host, config),
        (b'N', SslMode::Prefer) => Ok(WireStream::Tcp(tcp)),
        (b'N', mode) => Err(io::Error::other(format!(
            "the server does not support TLS, but sslmode={} requires it",
            mode.name()
        ))),
        (other, _) => Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("unexpected answer {other:#04x} to the TLS request"),
        )),
    }
}

fn handshake(
    mut tcp: TcpStream,
    host: &str,
    config: rustls::ClientConfig,
) -> io::Result<WireStream> {
    let name = ServerName::try_from(host.to_string()).map_err(|e| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("TLS: host `{host}`: {e}"),
        )
    })?;
    let mut conn = rustls::ClientConnection::new(Arc::new(config), name)
        .map_err(|e| io::Error::other(format!("TLS: {e}")))?;
    while conn.is_handshaking() {
        conn.complete_io(&mut tcp)?;
    }
    Ok(WireStream::Tls(Box::new(rustls::StreamOwned::new(
        conn, tcp,
    ))))
}

/// Hands a `WireStream` to tokio-postgres for the startup: every poll completes at once
/// with a blocking call (the startup is a strict request/answer exchange, bounded by the
/// socket's timeouts). The stream is shared, so it can be taken back once tokio-postgres's
/// client and connection are dropped.
pub struct StartupShim(pub Rc<RefCell<WireStream>>);

impl AsyncRead for StartupShim {
    fn poll_read(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let read = self.0.borrow_mut().read(buf.initialize_unfilled());
        Poll::Ready(read.map(|n| buf.advance(n)))
    }
}

impl AsyncWrite for StartupShim {
    fn poll_write(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Poll::Ready(self.0.borrow_mut().write(buf))
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(self.0.borrow_mut().flush())
    }

    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

/// Clears the startup timeouts: from now on reads wait as long as `read_limit` says.
pub fn settle(stream: &WireStream, read_limit: Option<Duration>) -> io::Result<()> {
    stream.set_write_timeout(None)?;
    stream.set_read_timeout(read_limit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tcp_host_with_a_hostaddr_is_not_resolved() {
        let target =
            DbTarget::from_url_for_tests("postgres://u@db.invalid:6543/app?hostaddr=10.1.2.3")
                .unwrap();
        assert_eq!(
            endpoints(&target).unwrap(),
            vec![Endpoint::Tcp {
                addr: "10.1.2.3:6543".parse().unwrap(),
                name: "db.invalid".into()
            }]
        );
        let unix = DbTarget::from_url_for_tests("postgres://u@%2Frun%2Fpg:5433/app").unwrap();
        assert_eq!(
            endpoints(&unix).unwrap(),
            vec![Endpoint::Unix("/run/pg/.s.PGSQL.5433".into())]
        );
    }
}
