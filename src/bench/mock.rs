//! A scripted stand-in for PostgreSQL, for unit tests of the engine without a database:
//! each iteration of each client answers as the script says (success after a service
//! time, a query error, a lost connection), and the preflight or a client's connection
//! (first or reopened) can refuse. Every iteration is logged with its client and send
//! instant; a client's iterations are numbered across its sessions.
//! Must not be used outside tests.

use std::cell::Cell;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::bench::executor::{Executor, Session};
use crate::config::model::Scenario;
use crate::params::{ParamDrawer, PrepareFailure};

/// How one iteration answers.
#[derive(Debug, Clone)]
pub enum Reply {
    /// Succeeds after this service time.
    Success(Duration),
    /// Fails at once with this message.
    QueryError(String),
    /// Fails at once, and the connection is gone afterwards.
    LoseConnection,
    /// Succeeds after this service time, but the connection is gone afterwards.
    SucceedThenLoseConnection(Duration),
}

/// How the preflight or a connection refuses.
#[derive(Debug, Clone)]
pub enum Refusal {
    /// The scenario cannot run here (a missing relation): skip it.
    Skip(String),
    /// The scenario cannot work (a configuration error).
    Config(String),
}

/// One logged iteration (warmup included).
#[derive(Debug, Clone, Copy)]
pub struct Call {
    pub client: u32,
    /// 0-based number of this iteration within its client, warmup included.
    pub number: u64,
    pub sent: Instant,
}

type Script = Box<dyn Fn(u32, u64) -> Reply + Send + Sync>;

/// The scripted executor: `script(client, number)` decides each iteration's reply.
pub struct MockExecutor {
    script: Arc<Script>,
    preflight: Option<Refusal>,
    refused_client: Option<u32>,
    /// Reopening a lost connection fails (the server is gone for good).
    refuses_reconnects: bool,
    reconnect_within: Duration,
    /// Sessions opened, per client.
    opened: Mutex<Vec<u32>>,
    log: Arc<Mutex<Vec<Call>>>,
}

impl MockExecutor {
    pub fn new(script: impl Fn(u32, u64) -> Reply + Send + Sync + 'static) -> MockExecutor {
        MockExecutor {
            script: Arc::new(Box::new(script)),
            preflight: None,
            refused_client: None,
            refuses_reconnects: false,
            reconnect_within: Duration::from_millis(300),
            opened: Mutex::new(Vec::new()),
            log: Arc::new(Mutex::new(Vec::new())),
        }
    }

    /// Every iteration succeeds after `service`.
    pub fn succeeding(service: Duration) -> MockExecutor {
        MockExecutor::new(move |_, _| Reply::Success(service))
    }

    /// The preflight refuses: the scenario never reaches the clients.
    pub fn refusing_preflight(mut self, refusal: Refusal) -> MockExecutor {
        self.preflight = Some(refusal);
        self
    }

    /// Client `client` cannot connect.
    pub fn refusing_client(mut self, client: u32) -> MockExecutor {
        self.refused_client = Some(client);
        self
    }

    /// Every connection after a client's first fails: the server cannot be reached again.
    pub fn refusing_reconnects(mut self) -> MockExecutor {
        self.refuses_reconnects = true;
        self
    }

    /// How many sessions client `client` opened (1 without reconnects).
    pub fn sessions_of(&self, client: u32) -> usize {
        let opened = self.opened.lock().unwrap();
        opened.iter().filter(|c| **c == client).count()
    }

    /// The reconnect budget of every client.
    pub fn reconnect_within(&self) -> Duration {
        self.reconnect_within
    }

    /// The logged iterations, in the order they were sent.
    pub fn calls(&self) -> Vec<Call> {
        let mut calls = self.log.lock().unwrap().clone();
        calls.sort_by_key(|call| call.sent);
        calls
    }

    /// The logged iterations of one client, in order.
    pub fn calls_of(&self, client: u32) -> Vec<Call> {
        let mut calls: Vec<_> = self
            .calls()
            .into_iter()
            .filter(|call| call.client == client)
            .collect();
        calls.sort_by_key(|call| call.number);
        calls
    }
}

impl Executor for MockExecutor {
    type Session = MockSession;

    async fn preflight(
        &self,
        _scenario: &Scenario,
        rng_seed: u64,
    ) -> Result<ParamDrawer, PrepareFailure> {
        match &self.preflight {
            None => Ok(ParamDrawer::with_samples(rng_seed, Default::default())),
            Some(Refusal::Skip(reason)) => Err(PrepareFailure::Skip(reason.clone())),
            Some(Refusal::Config(message)) => {
                Err(PrepareFailure::Error(crate::Error::config(message.clone())))
            }
        }
    }

    async fn open(
        &self,
        _scenario: &Scenario,
        client: u32,
    ) -> Result<Self::Session, PrepareFailure> {
        let reopening = self.sessions_of(client) > 0;
        if self.refused_client == Some(client) || (reopening && self.refuses_reconnects) {
            return Err(PrepareFailure::Error(crate::Error::environment(format!(
                "mock client {client} refused to connect"
            ))));
        }
        self.opened.lock().unwrap().push(client);
        Ok(MockSession {
            script: Arc::clone(&self.script),
            log: Arc::clone(&self.log),
            client,
            closed: Cell::new(false),
        })
    }

    fn reconnect_within(&self) -> Duration {
        self.reconnect_within
    }
}

/// One mock client: answers its iterations from the script, in order.
pub struct MockSession {
    script: Arc<Script>,
    log: Arc<Mutex<Vec<Call>>>,
    client: u32,
    closed: Cell<bool>,
}

impl Session for MockSession {
    async fn run_iteration(
        &self,
        scenario: &Scenario,
        _drawer: &mut ParamDrawer,
        step_times: Option<&mut [Duration]>,
    ) -> Result<(), String> {
        let number = {
            let mut log = self.log.lock().unwrap();
            let number = log.iter().filter(|call| call.client == self.client).count() as u64;
            log.push(Call {
                client: self.client,
                number,
                sent: Instant::now(),
            });
            number
        };
        if self.closed.get() {
            return Err("connection closed".to_string());
        }
        let service = match (self.script)(self.client, number) {
            Reply::Success(service) => service,
            Reply::QueryError(message) => return Err(message),
            Reply::LoseConnection => {
                self.closed.set(true);
                return Err("connection closed".to_string());
            }
            Reply::SucceedThenLoseConnection(service) => {
                self.closed.set(true);
                service
            }
        };
        tokio::time::sleep(service).await;
        if let Some(times) = step_times {
            let steps = u32::try_from(scenario.steps.len().max(1)).unwrap_or(u32::MAX);
            times.fill(service / steps);
        }
        Ok(())
    }

    fn is_closed(&self) -> bool {
        self.closed.get()
    }

    /// The sibling answers as client `client + SIBLING` of the script.
    async fn sibling(&self, _scenario: &Scenario) -> Result<MockSession, PrepareFailure> {
        Ok(MockSession {
            script: Arc::clone(&self.script),
            log: Arc::clone(&self.log),
            client: self.client + SIBLING,
            closed: Cell::new(self.closed.get()),
        })
    }
}

/// What a sibling session adds to its client's number in the script and the log.
pub const SIBLING: u32 = 1000;
