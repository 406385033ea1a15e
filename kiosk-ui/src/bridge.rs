//! The UI's link to kioskd: a worker thread that runs API requests one at a time, and a thread
//! that follows the event stream (reconnecting when the daemon restarts). Both hand their
//! results to the UI thread through one channel; `wake` asks the UI thread to drain it. The
//! window never blocks on the daemon.

use std::path::PathBuf;
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::Arc;
use std::time::Duration;

use kioskd_client::{Client, ClientError, Response};
use serde_json::Value;

/// What reaches the UI thread.
pub enum Msg<C> {
    /// A request finished: run its continuation.
    Reply(Box<dyn FnOnce(&mut C) + Send>),
    /// An event from `/v1/events`.
    Event(String, Value),
    /// The event stream is (re)connected: the UI should refresh everything.
    Connected,
    /// The daemon cannot be reached.
    Disconnected(String),
}

pub type Wake = Arc<dyn Fn() + Send + Sync>;

type Continuation<C> = Box<dyn FnOnce(&mut C, Result<Response, ClientError>) + Send>;

struct Job<C> {
    method: &'static str,
    path: String,
    body: Option<Value>,
    token: Option<String>,
    then: Continuation<C>,
}

/// Sends requests to the worker.
pub struct Api<C> {
    jobs: Sender<Job<C>>,
}

impl<C> Clone for Api<C> {
    fn clone(&self) -> Self {
        Api { jobs: self.jobs.clone() }
    }
}

impl<C: 'static> Api<C> {
    pub fn get(&self, path: impl Into<String>, then: impl FnOnce(&mut C, Result<Response, ClientError>) + Send + 'static) {
        self.send("GET", path.into(), None, None, Box::new(then));
    }

    pub fn post(&self, path: impl Into<String>, body: Value, then: impl FnOnce(&mut C, Result<Response, ClientError>) + Send + 'static) {
        self.send("POST", path.into(), Some(body), None, Box::new(then));
    }

    /// A maintenance request with the assistant's token.
    pub fn with_token(&self, method: &'static str, path: impl Into<String>, body: Option<Value>, token: &str, then: impl FnOnce(&mut C, Result<Response, ClientError>) + Send + 'static) {
        self.send(method, path.into(), body, Some(token.to_string()), Box::new(then));
    }

    fn send(&self, method: &'static str, path: String, body: Option<Value>, token: Option<String>, then: Continuation<C>) {
        // A stopped worker means the process is ending; nothing to do.
        let _ = self.jobs.send(Job { method, path, body, token, then });
    }
}

/// Starts the worker and the event follower for the daemon at `socket`.
pub fn start<C: 'static>(socket: PathBuf, wake: Wake) -> (Api<C>, Receiver<Msg<C>>) {
    let (msg_tx, msg_rx) = mpsc::channel::<Msg<C>>();
    let (job_tx, job_rx) = mpsc::channel::<Job<C>>();
    {
        let (msg_tx, wake, socket) = (msg_tx.clone(), wake.clone(), socket.clone());
        std::thread::Builder::new()
            .name("kioskd-api".into())
            .spawn(move || {
                let client = Client::new(&socket);
                for job in job_rx {
                    let client = match &job.token {
                        Some(t) => client.clone().with_token(t),
                        None => client.clone(),
                    };
                    let result = client.request(job.method, &job.path, job.body.as_ref());
                    let then = job.then;
                    if msg_tx.send(Msg::Reply(Box::new(move |c: &mut C| then(c, result)))).is_err() {
                        break;
                    }
                    wake();
                }
            })
            .expect("spawning the API thread");
    }
    std::thread::Builder::new()
        .name("kioskd-events".into())
        .spawn(move || follow_events(socket, msg_tx, wake))
        .expect("spawning the event thread");
    (Api { jobs: job_tx }, msg_rx)
}

fn follow_events<C>(socket: PathBuf, tx: Sender<Msg<C>>, wake: Wake) {
    let client = Client::new(&socket);
    // Whether the UI already knows the daemon is down (so a long outage is one message).
    let mut reported_down = false;
    loop {
        match client.events() {
            Ok(mut events) => {
                if tx.send(Msg::Connected).is_err() {
                    return;
                }
                wake();
                loop {
                    match events.next_event(Duration::from_secs(60)) {
                        Ok(Some((name, data))) => {
                            if tx.send(Msg::Event(name, data)).is_err() {
                                return;
                            }
                            wake();
                        }
                        // Keep-alives only: the stream is alive.
                        Ok(None) if !events.is_closed() => {}
                        Ok(None) => {
                            if tx.send(Msg::Disconnected("event stream closed".into())).is_err() {
                                return;
                            }
                            wake();
                            reported_down = true;
                            break;
                        }
                        Err(e) => {
                            if tx.send(Msg::Disconnected(e.to_string())).is_err() {
                                return;
                            }
                            wake();
                            reported_down = true;
                            break;
                        }
                    }
                }
            }
            Err(e) => {
                if !reported_down {
                    if tx.send(Msg::Disconnected(e.to_string())).is_err() {
                        return;
                    }
                    wake();
                    reported_down = true;
                }
            }
        }
        std::thread::sleep(Duration::from_millis(500));
    }
}
