//! The desktop around the window, as the tests need it: a tray (a
//! StatusNotifierWatcher with a host, on the test's private session bus,
//! reading the tray's menu over dbusmenu as a panel does), a window manager's
//! close (WM_DELETE_WINDOW), and a latch-desktop started directly, with
//! nothing driving its page.

use super::WAIT;
use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};
use zbus::zvariant::{OwnedObjectPath, OwnedValue, Value};

/// A tray on the session bus: the watcher every StatusNotifierItem registers
/// with, and a host (this test) that shows them. Dropping it leaves the bus.
pub struct Tray {
    bus: zbus::Connection,
    items: Arc<Mutex<Vec<(String, String)>>>,
}

struct Watcher {
    items: Arc<Mutex<Vec<(String, String)>>>,
}

#[zbus::interface(name = "org.kde.StatusNotifierWatcher")]
impl Watcher {
    /// `service` is the item's object path (libappindicator) or its bus
    /// name (others); the sender names its connection.
    fn register_status_notifier_item(&self, service: &str, #[zbus(header)] header: zbus::message::Header<'_>) {
        let sender = header.sender().map(|s| s.to_string()).unwrap_or_default();
        let (name, path) = if service.starts_with('/') {
            (sender, service.to_owned())
        } else {
            (service.to_owned(), "/StatusNotifierItem".to_owned())
        };
        self.items.lock().unwrap().push((name, path));
    }

    fn register_status_notifier_host(&self, _service: &str) {}

    #[zbus(property)]
    fn registered_status_notifier_items(&self) -> Vec<String> {
        self.items
            .lock()
            .unwrap()
            .iter()
            .map(|(n, p)| format!("{n}{p}"))
            .collect()
    }

    #[zbus(property)]
    fn is_status_notifier_host_registered(&self) -> bool {
        true
    }

    #[zbus(property)]
    fn protocol_version(&self) -> i32 {
        0
    }
}

impl Tray {
    pub async fn start() -> Tray {
        let items = Arc::new(Mutex::new(Vec::new()));
        let bus = zbus::connection::Builder::session()
            .expect("the test's session bus")
            .name("org.kde.StatusNotifierWatcher")
            .expect("a well-known name")
            .serve_at("/StatusNotifierWatcher", Watcher { items: items.clone() })
            .expect("the watcher's object")
            .build()
            .await
            .expect("the watcher on the session bus (is another test's tray still there?)");
        Tray { bus, items }
    }

    /// The item that registered last, as (bus name, object path): Latch
    /// registers again when it starts over hidden.
    pub async fn item(&self) -> (String, String) {
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some(item) = self.items.lock().unwrap().last().cloned() {
                return item;
            }
            assert!(Instant::now() < deadline, "no tray icon registered within {WAIT:?}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// How many times an item registered (Latch registers again when it
    /// starts over hidden).
    pub fn registrations(&self) -> usize {
        self.items.lock().unwrap().len()
    }

    /// The item's menu, as a panel reads it (`com.canonical.dbusmenu`).
    pub async fn menu(&self) -> TrayMenu {
        let (name, path) = self.item().await;
        let item = zbus::Proxy::new(&self.bus, name.clone(), path, "org.kde.StatusNotifierItem")
            .await
            .expect("the item's proxy");
        let menu: OwnedObjectPath = item.get_property("Menu").await.expect("the item's Menu");
        let proxy = zbus::Proxy::new(&self.bus, name, menu, "com.canonical.dbusmenu")
            .await
            .expect("the menu's proxy");
        TrayMenu { proxy }
    }
}

pub struct TrayMenu {
    proxy: zbus::Proxy<'static>,
}

/// An entry as dbusmenu sends it: `(ia{sv}av)`, its id, its properties and
/// its children (each a variant holding the same).
type RawEntry = (i32, HashMap<String, OwnedValue>, Vec<OwnedValue>);

/// One entry of the menu: its dbusmenu id, label, whether it can be chosen,
/// and its children (a submenu).
#[derive(Clone, Debug)]
pub struct Entry {
    pub id: i32,
    pub label: String,
    pub enabled: bool,
    pub children: Vec<Entry>,
}

impl Entry {
    /// Every entry below this one, depth first.
    pub fn all(&self) -> Vec<&Entry> {
        let mut out = Vec::new();
        for child in &self.children {
            out.push(child);
            out.extend(child.all());
        }
        out
    }

    pub fn find(&self, label: &str) -> &Entry {
        self.all()
            .into_iter()
            .find(|e| e.label == label)
            .unwrap_or_else(|| panic!("no {label:?} in the tray's menu: {:#?}", self.labels()))
    }

    pub fn labels(&self) -> Vec<String> {
        self.all().into_iter().map(|e| e.label.clone()).collect()
    }
}

impl TrayMenu {
    pub async fn layout(&self) -> Entry {
        let reply = self
            .proxy
            .call_method("GetLayout", &(0i32, -1i32, Vec::<&str>::new()))
            .await
            .expect("GetLayout");
        let (_revision, root): (u32, RawEntry) = reply.body().deserialize().expect("a dbusmenu layout");
        entry(root)
    }

    /// Waits until the layout satisfies `ok` (the menu is built again when the
    /// accounts change), and returns it.
    pub async fn layout_where(&self, ok: impl Fn(&Entry) -> bool) -> Entry {
        let deadline = Instant::now() + WAIT;
        loop {
            let layout = self.layout().await;
            if ok(&layout) {
                return layout;
            }
            assert!(
                Instant::now() < deadline,
                "the tray's menu still reads {:#?}",
                layout.labels()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Chooses the entry labelled `label`, as a panel does when it is
    /// clicked: from the layout as it is now (a panel reads it again when
    /// the menu is rebuilt, and so does this, when the entry's id has gone).
    pub async fn click(&self, label: &str) {
        let deadline = Instant::now() + WAIT;
        loop {
            let layout = self.layout().await;
            let entry = layout.find(label);
            assert!(entry.enabled, "{label:?} cannot be chosen");
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_secs() as u32;
            match self
                .proxy
                .call_method("Event", &(entry.id, "clicked", Value::from(0i32), now))
                .await
            {
                Ok(_) => return,
                Err(e) if e.to_string().contains("does not refer to a menu item") && Instant::now() < deadline => {}
                Err(e) => panic!("choosing {label:?}: {e}"),
            }
        }
    }
}

fn entry((id, props, children): RawEntry) -> Entry {
    let label = props
        .get("label")
        .and_then(|v| String::try_from(v.try_clone().ok()?).ok())
        .unwrap_or_default();
    let enabled = props
        .get("enabled")
        .and_then(|v| bool::try_from(v.try_clone().ok()?).ok())
        .unwrap_or(true);
    let children = children
        .into_iter()
        .map(|child| {
            let value: Value = child.into();
            let value = match value {
                Value::Value(inner) => *inner,
                other => other,
            };
            let child: RawEntry = value.try_into().expect("a dbusmenu entry");
            entry(child)
        })
        .collect();
    Entry {
        id,
        label: label.replace('_', ""),
        enabled,
        children,
    }
}

/// A latch-desktop started as a person starts it, with nothing driving its
/// page: its stdout (`LATCH_REPORT_READY`: `ready` and `painted` lines each
/// time a window paints its list) is read line by line.
pub struct Desktop {
    pub child: Child,
    lines: mpsc::Receiver<String>,
}

impl Desktop {
    pub fn start(home: &Path, env: &[(&str, &str)]) -> Desktop {
        Self::start_with(home, env, &[])
    }

    pub fn start_with(home: &Path, env: &[(&str, &str)], args: &[&str]) -> Desktop {
        let mut child = Command::new(env!("CARGO_BIN_EXE_latch-desktop"))
            .args(args)
            .env("LATCH_HOME", home)
            .env("LATCH_NO_SCHEME_REGISTRATION", "1")
            .env("LATCH_NO_BROWSER", "1")
            .env("LATCH_REPORT_READY", "1")
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .spawn()
            .expect("latch-desktop");
        let out = child.stdout.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Desktop { child, lines }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The rows the next window painted: `painted [{"id":…,"expires_at":…}]`.
    pub fn painted(&self) -> Vec<serde_json::Value> {
        let deadline = Instant::now() + WAIT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = self
                .lines
                .recv_timeout(left)
                .unwrap_or_else(|_| panic!("no window painted its list within {WAIT:?}"));
            if let Some(rows) = line.strip_prefix("painted ") {
                return serde_json::from_str::<Vec<serde_json::Value>>(rows).expect("painted rows");
            }
        }
    }

    pub fn running(&mut self) -> bool {
        self.child.try_wait().expect("wait").is_none()
    }

    /// Waits for the process to end; its exit status.
    pub fn exited(&mut self) -> std::process::ExitStatus {
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return status;
            }
            assert!(Instant::now() < deadline, "latch-desktop still runs after {WAIT:?}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The programs this process started that still run (WebKit's).
    pub fn children(&self) -> Vec<String> {
        descendants(self.pid())
    }
}

impl Drop for Desktop {
    fn drop(&mut self) {
        let tree = descendants_pids(self.pid());
        let _ = self.child.kill();
        let _ = self.child.wait();
        for pid in tree {
            // SAFETY: kill(2) on a process this test started; no memory involved.
            unsafe { libc::kill(pid as i32, libc::SIGKILL) };
        }
    }
}

fn descendants_pids(pid: u32) -> Vec<u32> {
    let mut found = Vec::new();
    let mut parents = vec![pid];
    while let Some(parent) = parents.pop() {
        let children = std::fs::read_to_string(format!("/proc/{parent}/task/{parent}/children")).unwrap_or_default();
        for child in children.split_whitespace().filter_map(|c| c.parse().ok()) {
            found.push(child);
            parents.push(child);
        }
    }
    found
}

/// The names of the processes under `pid`.
pub fn descendants(pid: u32) -> Vec<String> {
    descendants_pids(pid)
        .into_iter()
        .filter_map(|p| std::fs::read_to_string(format!("/proc/{p}/comm")).ok())
        .map(|c| c.trim().to_owned())
        .collect()
}

/// The X windows of process `pid` (by `_NET_WM_PID`, which GTK sets) that
/// are mapped.
pub fn windows_of(pid: u32) -> Vec<u32> {
    use x11rb::connection::Connection;
    use x11rb::protocol::xproto::{AtomEnum, ConnectionExt, MapState};
    let (conn, screen) = x11rb::connect(None).expect("the X display");
    let root = conn.setup().roots[screen].root;
    let net_wm_pid = conn.intern_atom(false, b"_NET_WM_PID").unwrap().reply().unwrap().atom;
    let tree = conn.query_tree(root).unwrap().reply().unwrap();
    tree.children
        .into_iter()
        .filter(|&w| {
            let owner = conn
                .get_property(false, w, net_wm_pid, AtomEnum::CARDINAL, 0, 1)
                .ok()
                .and_then(|c| c.reply().ok())
                .and_then(|r| r.value32().and_then(|mut v| v.next()));
            let mapped = conn
                .get_window_attributes(w)
                .ok()
                .and_then(|c| c.reply().ok())
                .is_some_and(|a| a.map_state == MapState::VIEWABLE);
            owner == Some(pid) && mapped
        })
        .collect()
}

/// Waits until process `pid` has a mapped window, or (with `false`) none.
pub fn wait_for_window(pid: u32, shown: bool) -> Vec<u32> {
    let deadline = Instant::now() + WAIT;
    loop {
        let windows = windows_of(pid);
        if windows.is_empty() != shown {
            return windows;
        }
        assert!(
            Instant::now() < deadline,
            "latch-desktop {} a window after {WAIT:?}",
            if shown { "still has no" } else { "still shows" }
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Closes `window` as a window manager does when its close button is
/// pressed: a WM_DELETE_WINDOW message (ICCCM 4.2.8.1).
pub fn close_window(window: u32) {
    use x11rb::connection::Connection;
    use x11rb::protocol::xproto::{ClientMessageEvent, ConnectionExt, EventMask};
    let (conn, _) = x11rb::connect(None).expect("the X display");
    let atom = |name: &[u8]| conn.intern_atom(false, name).unwrap().reply().unwrap().atom;
    let (protocols, delete) = (atom(b"WM_PROTOCOLS"), atom(b"WM_DELETE_WINDOW"));
    let event = ClientMessageEvent::new(32, window, protocols, [delete, x11rb::CURRENT_TIME, 0, 0, 0]);
    conn.send_event(false, window, EventMask::NO_EVENT, event).unwrap();
    conn.flush().unwrap();
}

/// Presses the window's close button (WM_DELETE_WINDOW) and waits for the
/// window to go; pressed again every two seconds while it stays, as a
/// person would. (Under heavy load GTK was seen to drop the first few
/// messages of a window that had just painted, before emitting any
/// delete-event; the app's handling of a close GTK does deliver is what the
/// tests check.)
pub fn close_window_as_a_person(pid: u32, window: u32) {
    let deadline = Instant::now() + WAIT;
    loop {
        close_window(window);
        let pressed = Instant::now();
        while pressed.elapsed() < Duration::from_secs(2) {
            if windows_of(pid).is_empty() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        assert!(
            Instant::now() < deadline,
            "latch-desktop still shows its window after {WAIT:?} of closing"
        );
    }
}

/// The desktop notifications Latch sends, as the desktop's daemon would get
/// them (`dbus-monitor` on the test's bus; no daemon needed), collected as
/// they come.
pub struct Notifications {
    monitor: Child,
    seen: Arc<Mutex<String>>,
}

impl Notifications {
    pub fn watch() -> Notifications {
        let mut monitor = super::notification_monitor();
        let seen = Arc::new(Mutex::new(String::new()));
        let (out, into) = (monitor.stdout.take().unwrap(), seen.clone());
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                into.lock().unwrap().push_str(&line);
            }
        });
        Notifications { monitor, seen }
    }

    /// Waits until a notification carrying `text` has gone out.
    pub async fn wait_for(&self, text: &str) {
        let deadline = Instant::now() + WAIT;
        while !self.seen.lock().unwrap().contains(text) {
            assert!(
                Instant::now() < deadline,
                "no notification saying {text:?}:\n{}",
                self.seen.lock().unwrap()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Drop for Notifications {
    fn drop(&mut self) {
        let _ = self.monitor.kill();
        let _ = self.monitor.wait();
    }
}
