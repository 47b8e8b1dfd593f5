//! The server's stdio transport: lsp-server's framing and message types, with a reader that
//! answers a malformed message with a JSON-RPC parse error and goes on reading, instead of ending
//! the session (lsp-server's own stdio reader stops at the first one).

use std::io::{self, BufRead, Write};
use std::thread;

use crossbeam_channel::{Receiver, Sender, bounded, unbounded};
use lsp_server::{Connection, Message};

/// JSON-RPC's code for a message that is not valid JSON or not a message.
const PARSE_ERROR: i32 = -32700;

/// The writer thread, joined when the session ends. The reader is not: it may still block on
/// stdin, and ends with the process.
pub struct IoThreads {
    writer: thread::JoinHandle<io::Result<()>>,
}

impl IoThreads {
    /// Waits until every message sent on the connection is written. The connection must have
    /// been dropped, or this waits for ever.
    pub fn join(self) -> Result<(), String> {
        match self.writer.join() {
            Ok(result) => result.map_err(|err| format!("cannot write to the client: {err}")),
            Err(_) => Err("the writer thread panicked".to_owned()),
        }
    }
}

/// Messages to the client: lsp-server's, and raw parse-error responses (whose `id` is `null`,
/// which `lsp_server::Response` cannot express).
enum Outgoing {
    Message(Message),
    Raw(String),
    /// The connection is gone: nothing more will be written.
    End,
}

pub fn stdio() -> (Connection, IoThreads) {
    let (outgoing_sender, outgoing) = unbounded::<Outgoing>();
    let (message_sender, messages) = unbounded::<Message>();
    let writer = thread::spawn(move || write_all(&outgoing));
    // Forwards the connection's messages to the writer, so both reach stdout in order.
    let forwarder = {
        let outgoing_sender = outgoing_sender.clone();
        move || {
            for message in messages {
                if outgoing_sender.send(Outgoing::Message(message)).is_err() {
                    return;
                }
            }
            let _ = outgoing_sender.send(Outgoing::End);
        }
    };
    thread::spawn(forwarder);
    let (incoming_sender, incoming) = bounded::<Message>(0);
    thread::spawn(move || read_all(&mut io::stdin().lock(), &incoming_sender, &outgoing_sender));
    let connection = Connection {
        sender: message_sender,
        receiver: incoming,
    };
    (connection, IoThreads { writer })
}

fn write_all(outgoing: &Receiver<Outgoing>) -> io::Result<()> {
    let mut stdout = io::stdout().lock();
    for message in outgoing {
        match message {
            Outgoing::Message(message) => message.write(&mut stdout)?,
            Outgoing::Raw(text) => {
                write!(stdout, "Content-Length: {}\r\n\r\n{text}", text.len())?;
                stdout.flush()?;
            }
            Outgoing::End => break,
        }
    }
    Ok(())
}

/// Reads messages until end of input or `exit`; a malformed one gets a parse error.
fn read_all(input: &mut impl BufRead, incoming: &Sender<Message>, outgoing: &Sender<Outgoing>) {
    loop {
        match Message::read(input) {
            Ok(None) => return,
            Ok(Some(message)) => {
                let is_exit =
                    matches!(&message, Message::Notification(note) if note.method == "exit");
                if incoming.send(message).is_err() || is_exit {
                    return;
                }
            }
            Err(err) if err.kind() == io::ErrorKind::InvalidData => {
                let response = serde_json::json!({
                    "jsonrpc": "2.0",
                    "id": null,
                    "error": {"code": PARSE_ERROR, "message": format!("deferfix: {err}")},
                });
                if outgoing.send(Outgoing::Raw(response.to_string())).is_err() {
                    return;
                }
            }
            // The input ended inside a message, or cannot be read: the session is over.
            Err(_) => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(body: &str) -> String {
        format!("Content-Length: {}\r\n\r\n{body}", body.len())
    }

    #[test]
    fn a_malformed_message_gets_a_parse_error_and_reading_goes_on() {
        let input = format!(
            "{}{}",
            frame("{not json"),
            frame(r#"{"jsonrpc":"2.0","method":"initialized","params":{}}"#)
        );
        let (incoming_sender, incoming) = unbounded();
        let (outgoing_sender, outgoing) = unbounded();
        read_all(
            &mut io::Cursor::new(input.into_bytes()),
            &incoming_sender,
            &outgoing_sender,
        );
        let Ok(Outgoing::Raw(error)) = outgoing.try_recv() else {
            panic!("no parse error sent");
        };
        let error: serde_json::Value = serde_json::from_str(&error).unwrap();
        assert_eq!(error["error"]["code"], PARSE_ERROR);
        assert!(error["id"].is_null());
        assert!(matches!(
            incoming.try_recv(),
            Ok(Message::Notification(note)) if note.method == "initialized"
        ));
    }
}
