//! `deferfix server`: a language server over stdio. It publishes deferfix's findings as
//! diagnostics for open Go files and offers their fixes as code actions: a quick fix per finding,
//! "ignore this finding", and `source.fixAll.deferfix` (the safe fixes of the file).
//!
//! Built on `lsp-server` and `lsp-types`, as ruff's server is: a synchronous main loop over
//! channels is all a server that answers from one file's text needs, and it keeps notifications
//! in order without an async runtime. The main loop owns the documents and never lints: a worker
//! thread lints snapshots (text and version) and sends results back; diagnostics for a version
//! the document has moved past are dropped, and so are answers to cancelled requests.

mod document;
mod lint;
mod transport;

use std::collections::HashMap;
use std::thread;

use crossbeam_channel::{Receiver, Sender, select, unbounded};
use lsp_server::{
    Connection, ErrorCode, ExtractError, Message, Notification, ReqQueue, Request, RequestId,
    Response,
};
use lsp_types::notification::{self as notify, Notification as _};
use lsp_types::request::{self as req, Request as _};
use lsp_types::{
    CodeActionKind, CodeActionOptions, CodeActionParams, CodeActionProviderCapability,
    InitializeParams, NumberOrString, PositionEncodingKind, PublishDiagnosticsParams, SaveOptions,
    ServerCapabilities, ServerInfo, TextDocumentSyncCapability, TextDocumentSyncKind,
    TextDocumentSyncOptions, TextDocumentSyncSaveOptions, Url,
};

use document::{Document, Encoding};

/// The exit code the protocol asks for when `exit` comes without `shutdown` first.
const EXIT_WITHOUT_SHUTDOWN: u8 = 1;

/// How a session ended.
enum Ended {
    /// `shutdown`, then `exit`.
    Clean,
    /// `exit` without `shutdown`.
    ExitWithoutShutdown,
}

/// Runs the server until the client says `exit`; the process's exit code: 0 after `shutdown`
/// and `exit`, 1 for `exit` alone. Errors are for a session that broke off.
pub fn run() -> Result<u8, String> {
    let (connection, io_threads) = transport::stdio();
    let outcome = serve(&connection);
    drop(connection);
    io_threads.join()?;
    match outcome? {
        Ended::Clean => Ok(0),
        Ended::ExitWithoutShutdown => Ok(EXIT_WITHOUT_SHUTDOWN),
    }
}

fn serve(connection: &Connection) -> Result<Ended, String> {
    let (id, params) = connection
        .initialize_start()
        .map_err(|err| format!("initialize: {err}"))?;
    let params: InitializeParams = serde_json::from_value(params)
        .map_err(|err| format!("initialize: invalid params: {err}"))?;
    let client = ClientOptions::of(&params);
    let result = serde_json::json!({
        "capabilities": capabilities(client.encoding),
        "serverInfo": ServerInfo {
            name: "deferfix".to_owned(),
            version: Some(env!("CARGO_PKG_VERSION").to_owned()),
        },
    });
    connection
        .initialize_finish(id, result)
        .map_err(|err| format!("initialize: {err}"))?;
    let (jobs, job_receiver) = unbounded();
    let (event_sender, events) = unbounded();
    let worker = thread::spawn(move || worker::run(&job_receiver, &event_sender, client));
    let mut server = Server {
        sender: connection.sender.clone(),
        client,
        documents: HashMap::new(),
        requests: ReqQueue::default(),
        jobs,
    };
    let outcome = server.main_loop(&connection.receiver, &events);
    drop(server);
    let _ = worker.join();
    outcome
}

/// What the client told us in `initialize` that changes our answers.
#[derive(Clone, Copy)]
pub struct ClientOptions {
    encoding: Encoding,
    document_changes: bool,
}

impl ClientOptions {
    fn of(params: &InitializeParams) -> ClientOptions {
        let capabilities = &params.capabilities;
        let offers_utf8 = capabilities
            .general
            .as_ref()
            .and_then(|general| general.position_encodings.as_ref())
            .is_some_and(|encodings| encodings.contains(&PositionEncodingKind::UTF8));
        let document_changes = capabilities
            .workspace
            .as_ref()
            .and_then(|workspace| workspace.workspace_edit.as_ref())
            .and_then(|edit| edit.document_changes)
            .unwrap_or(false);
        ClientOptions {
            // UTF-16 is the protocol's default, and what a client that offers nothing expects.
            encoding: if offers_utf8 {
                Encoding::Utf8
            } else {
                Encoding::Utf16
            },
            document_changes,
        }
    }
}

fn capabilities(encoding: Encoding) -> ServerCapabilities {
    ServerCapabilities {
        position_encoding: Some(match encoding {
            Encoding::Utf8 => PositionEncodingKind::UTF8,
            Encoding::Utf16 => PositionEncodingKind::UTF16,
        }),
        text_document_sync: Some(TextDocumentSyncCapability::Options(
            TextDocumentSyncOptions {
                open_close: Some(true),
                change: Some(TextDocumentSyncKind::INCREMENTAL),
                save: Some(TextDocumentSyncSaveOptions::SaveOptions(SaveOptions {
                    include_text: Some(false),
                })),
                ..TextDocumentSyncOptions::default()
            },
        )),
        code_action_provider: Some(CodeActionProviderCapability::Options(CodeActionOptions {
            code_action_kinds: Some(vec![
                CodeActionKind::QUICKFIX,
                CodeActionKind::new(lint::FIX_ALL),
            ]),
            resolve_provider: Some(false),
            work_done_progress_options: Default::default(),
        })),
        ..ServerCapabilities::default()
    }
}

/// Work for the worker thread, on a snapshot of a document.
pub enum Job {
    Diagnostics {
        uri: Url,
        document: Snapshot,
    },
    CodeActions {
        id: RequestId,
        params: CodeActionParams,
        document: Snapshot,
    },
}

/// A document's text at one version.
pub struct Snapshot {
    pub version: i32,
    pub text: String,
    pub path: std::path::PathBuf,
}

/// What the worker sends back.
pub enum Event {
    Diagnostics {
        uri: Url,
        version: i32,
        diagnostics: Vec<lsp_types::Diagnostic>,
    },
    Respond(Response),
}

struct Server {
    sender: Sender<Message>,
    client: ClientOptions,
    documents: HashMap<Url, Document>,
    /// Requests received and not yet answered (or cancelled).
    requests: ReqQueue<(), ()>,
    jobs: Sender<Job>,
}

impl Server {
    fn main_loop(
        &mut self,
        messages: &Receiver<Message>,
        events: &Receiver<Event>,
    ) -> Result<Ended, String> {
        loop {
            select! {
                recv(messages) -> message => {
                    let Ok(message) = message else {
                        return Err("the client closed the connection without `exit`".into());
                    };
                    match message {
                        Message::Request(request) if request.method == req::Shutdown::METHOD => {
                            self.send(Response::new_ok(request.id, ()));
                            return expect_exit(messages).map(|()| Ended::Clean);
                        }
                        Message::Request(request) => self.on_request(request),
                        Message::Notification(note) if note.method == notify::Exit::METHOD => {
                            return Ok(Ended::ExitWithoutShutdown);
                        }
                        Message::Notification(note) => self.on_notification(note),
                        Message::Response(_) => {}
                    }
                }
                recv(events) -> event => {
                    if let Ok(event) = event {
                        self.on_event(event);
                    }
                }
            }
        }
    }

    fn send(&self, message: impl Into<Message>) {
        // The writer is gone only when the client is: the loop ends on the next read.
        let _ = self.sender.send(message.into());
    }

    fn on_request(&mut self, request: Request) {
        let id = request.id.clone();
        self.requests.incoming.register(id.clone(), ());
        match request.extract::<CodeActionParams>(req::CodeActionRequest::METHOD) {
            Ok((id, params)) => self.code_actions(id, params),
            Err(ExtractError::JsonError { method, error }) => self.respond(Response::new_err(
                id,
                ErrorCode::InvalidParams as i32,
                format!("invalid params for {method}: {error}"),
            )),
            Err(ExtractError::MethodMismatch(request)) => self.respond(Response::new_err(
                request.id,
                ErrorCode::MethodNotFound as i32,
                format!("deferfix does not handle {}", request.method),
            )),
        }
    }

    fn code_actions(&mut self, id: RequestId, params: CodeActionParams) {
        let uri = &params.text_document.uri;
        let Some(document) = self.documents.get(uri) else {
            let message = format!("{uri} is not open");
            self.respond(Response::new_err(
                id,
                ErrorCode::InvalidParams as i32,
                message,
            ));
            return;
        };
        let document = snapshot(document);
        let _ = self.jobs.send(Job::CodeActions {
            id,
            params,
            document,
        });
    }

    /// Answers a request unless it was cancelled meanwhile.
    fn respond(&mut self, response: Response) {
        if self.requests.incoming.complete(&response.id).is_some() {
            self.send(response);
        }
    }

    fn on_notification(&mut self, note: Notification) {
        let method = note.method.clone();
        let handled = match method.as_str() {
            notify::DidOpenTextDocument::METHOD => self.did_open(note),
            notify::DidChangeTextDocument::METHOD => self.did_change(note),
            notify::DidSaveTextDocument::METHOD => self.did_save(note),
            notify::DidCloseTextDocument::METHOD => self.did_close(note),
            notify::Cancel::METHOD => self.cancel(note),
            _ => Ok(()),
        };
        if let Err(err) = handled {
            eprintln!("deferfix server: {method}: {err}");
        }
    }

    fn did_open(&mut self, note: Notification) -> Result<(), String> {
        let params: lsp_types::DidOpenTextDocumentParams = params(note)?;
        let item = params.text_document;
        let Some(path) = document::file_path(&item.uri) else {
            return Err(format!("{} is not a file", item.uri));
        };
        let document = Document {
            version: item.version,
            text: item.text,
            path,
        };
        self.documents.insert(item.uri.clone(), document);
        self.lint(item.uri);
        Ok(())
    }

    fn did_change(&mut self, note: Notification) -> Result<(), String> {
        let params: lsp_types::DidChangeTextDocumentParams = params(note)?;
        let uri = params.text_document.uri;
        let Some(document) = self.documents.get_mut(&uri) else {
            return Err(format!("{uri} is not open"));
        };
        let applied = document.apply(
            params.text_document.version,
            params.content_changes,
            self.client.encoding,
        );
        if applied.is_err() {
            // The text no longer matches the editor's: say nothing rather than something wrong.
            self.documents.remove(&uri);
            self.publish(uri.clone(), None, Vec::new());
            return Err(format!(
                "{uri}: a change's range is outside the text; reopen the file"
            ));
        }
        self.lint(uri);
        Ok(())
    }

    fn did_save(&mut self, note: Notification) -> Result<(), String> {
        // deferfix.toml or go.mod may have changed with the file.
        let params: lsp_types::DidSaveTextDocumentParams = params(note)?;
        self.lint(params.text_document.uri);
        Ok(())
    }

    fn did_close(&mut self, note: Notification) -> Result<(), String> {
        let params: lsp_types::DidCloseTextDocumentParams = params(note)?;
        let uri = params.text_document.uri;
        self.documents.remove(&uri);
        self.publish(uri, None, Vec::new());
        Ok(())
    }

    fn cancel(&mut self, note: Notification) -> Result<(), String> {
        let params: lsp_types::CancelParams = params(note)?;
        let id: RequestId = match params.id {
            NumberOrString::Number(number) => number.into(),
            NumberOrString::String(text) => text.into(),
        };
        if let Some(response) = self.requests.incoming.cancel(id) {
            self.send(response);
        }
        Ok(())
    }

    fn lint(&self, uri: Url) {
        if let Some(document) = self.documents.get(&uri) {
            let document = snapshot(document);
            let _ = self.jobs.send(Job::Diagnostics { uri, document });
        }
    }

    fn on_event(&mut self, event: Event) {
        match event {
            Event::Diagnostics {
                uri,
                version,
                diagnostics,
            } => {
                let current = self.documents.get(&uri).map(|document| document.version);
                // Stale: the document changed (a newer lint is queued) or was closed.
                if current == Some(version) {
                    self.publish(uri, Some(version), diagnostics);
                }
            }
            Event::Respond(response) => self.respond(response),
        }
    }

    fn publish(&self, uri: Url, version: Option<i32>, diagnostics: Vec<lsp_types::Diagnostic>) {
        let params = PublishDiagnosticsParams {
            uri,
            diagnostics,
            version,
        };
        self.send(Notification::new(
            notify::PublishDiagnostics::METHOD.to_owned(),
            params,
        ));
    }
}

fn snapshot(document: &Document) -> Snapshot {
    Snapshot {
        version: document.version,
        text: document.text.clone(),
        path: document.path.clone(),
    }
}

fn params<P: serde::de::DeserializeOwned>(note: Notification) -> Result<P, String> {
    serde_json::from_value(note.params).map_err(|err| format!("invalid params: {err}"))
}

/// After `shutdown`: the next message must be `exit`.
fn expect_exit(messages: &Receiver<Message>) -> Result<(), String> {
    match messages.recv() {
        Ok(Message::Notification(note)) if note.method == notify::Exit::METHOD => Ok(()),
        Ok(other) => Err(format!("expected `exit` after `shutdown`, got {other:?}")),
        Err(_) => Err("the client closed the connection without `exit`".into()),
    }
}

mod worker {
    //! The worker thread: lints snapshots, newest first per document.

    use std::collections::HashMap;

    use crossbeam_channel::{Receiver, Sender};
    use lsp_server::Response;
    use lsp_types::{CodeActionOrCommand, Url};

    use super::lint::{self, Request, Want};
    use super::{ClientOptions, Event, Job};

    pub fn run(jobs: &Receiver<Job>, events: &Sender<Event>, client: ClientOptions) {
        while let Ok(first) = jobs.recv() {
            // Of the diagnostics queued for a document, only the newest matter.
            let mut pending: Vec<Job> = std::iter::once(first).chain(jobs.try_iter()).collect();
            let mut newest: HashMap<Url, i32> = HashMap::new();
            for job in &pending {
                if let Job::Diagnostics { uri, document } = job {
                    let version = newest.entry(uri.clone()).or_insert(document.version);
                    *version = (*version).max(document.version);
                }
            }
            pending.retain(|job| match job {
                Job::Diagnostics { uri, document } => newest.get(uri) == Some(&document.version),
                Job::CodeActions { .. } => true,
            });
            for job in pending {
                if events.send(handle(job, client)).is_err() {
                    return;
                }
            }
        }
    }

    fn handle(job: Job, client: ClientOptions) -> Event {
        match job {
            Job::Diagnostics { uri, document } => {
                let diagnostics = lint::lint(&document.path, &document.text, Want::Findings)
                    .map(|linted| lint::diagnostics(&linted, client.encoding))
                    .unwrap_or_default();
                Event::Diagnostics {
                    uri,
                    version: document.version,
                    diagnostics,
                }
            }
            Job::CodeActions {
                id,
                params,
                document,
            } => {
                let actions: Vec<CodeActionOrCommand> =
                    lint::lint(&document.path, &document.text, Want::FixedText)
                        .map(|linted| {
                            let request = Request {
                                uri: &params.text_document.uri,
                                version: document.version,
                                text: &document.text,
                                range: params.range,
                                only: params.context.only.as_deref(),
                                encoding: client.encoding,
                                document_changes: client.document_changes,
                            };
                            lint::code_actions(&linted, &request)
                        })
                        .unwrap_or_default();
                Event::Respond(Response::new_ok(id, actions))
            }
        }
    }
}
