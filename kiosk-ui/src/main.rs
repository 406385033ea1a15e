//! `kiosk-ui`: the touchscreen front end.
//!
//! ```text
//! kiosk-ui [--socket PATH] [--lang zh|en]          the terminal's UI (kioskd must be running)
//! kiosk-ui --demo [--demo-dir DIR] [--platform-url U --enrol-token T --platform-key K]
//!                                                   a demo terminal with simulators, in a window
//! kiosk-ui --screenshots DIR [--lang zh|en]         every screen as PNG, headless
//! ```
//!
//! The backend is chosen at run time: `SLINT_BACKEND` when set; else winit when a display
//! (X11 or Wayland) is there; else linuxkms (DRM/KMS with libinput), as on the terminal. The
//! renderer is always the software renderer. Exit code 3 means kioskd asked for a restart.

use std::path::PathBuf;
use std::process::ExitCode;

use kiosk_ui::demo::{DemoSettings, DemoTerminal};
use kiosk_ui::{Lang, Options, Ui};
use slint::ComponentHandle;

const USAGE: &str = "usage: kiosk-ui [--socket PATH] [--lang zh|en] | --demo [--demo-dir DIR] [--platform-url URL --enrol-token TOKEN --platform-key KEY] | --screenshots DIR";

struct Args {
    socket: PathBuf,
    lang: Lang,
    demo: bool,
    demo_dir: Option<PathBuf>,
    screenshots: Option<PathBuf>,
    settings: DemoSettings,
}

fn parse(args: &[String]) -> Result<Args, String> {
    let mut a = Args {
        socket: PathBuf::from("/run/kiosk/kioskd.sock"),
        lang: Lang::Zh,
        demo: false,
        demo_dir: None,
        screenshots: None,
        settings: DemoSettings::default(),
    };
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let mut value = || it.next().cloned().ok_or_else(|| format!("{arg} needs a value"));
        match arg.as_str() {
            "--socket" => a.socket = PathBuf::from(value()?),
            "--lang" => {
                let v = value()?;
                a.lang = Lang::parse(&v).ok_or_else(|| format!("unknown language {v:?} (zh or en)"))?;
            }
            "--demo" => a.demo = true,
            "--demo-dir" => a.demo_dir = Some(PathBuf::from(value()?)),
            "--screenshots" => a.screenshots = Some(PathBuf::from(value()?)),
            "--platform-url" => a.settings.platform_url = Some(value()?),
            "--enrol-token" => a.settings.enrol_token = Some(value()?),
            "--platform-key" => a.settings.platform_key = Some(value()?),
            "-h" | "--help" => return Err(USAGE.into()),
            other => return Err(format!("unknown argument {other:?}\n{USAGE}")),
        }
    }
    Ok(a)
}

fn select_backend() -> Result<(), String> {
    if std::env::var_os("SLINT_BACKEND").is_some() {
        return Ok(());
    }
    let display = std::env::var_os("DISPLAY").is_some() || std::env::var_os("WAYLAND_DISPLAY").is_some();
    let name = if display { "winit" } else { "linuxkms" };
    slint::BackendSelector::new()
        .backend_name(name.into())
        .renderer_name("software".into())
        .select()
        .map_err(|e| format!("cannot start the {name} backend: {e}"))
}

fn run(args: Args) -> Result<ExitCode, String> {
    if let Some(dir) = &args.screenshots {
        let report = kiosk_ui::shots::run(dir, args.lang)?;
        println!("kiosk-ui: {} screenshots in {}", report.files.len(), dir.display());
        println!("kiosk-ui: receipts printed by the demo printer in {}", report.receipts.display());
        return Ok(ExitCode::SUCCESS);
    }
    let terminal = if args.demo {
        let dir = args.demo_dir.clone().unwrap_or_else(|| std::env::temp_dir().join(format!("kiosk-ui-demo-{}", std::process::id())));
        let t = DemoTerminal::start(&dir, &args.settings)?;
        println!("kiosk-ui: demo terminal in {} (receipts in {})", dir.display(), t.receipts().display());
        Some(t)
    } else {
        None
    };
    select_backend()?;
    let socket = terminal.as_ref().map(|t| t.socket.clone()).unwrap_or(args.socket);
    let ui = Ui::new(Options {
        socket,
        lang: args.lang,
        demo: terminal.as_ref().map(|t| t.control.clone()),
        pictures: kiosk_ui::app::pictures_dir(),
    })
    .map_err(|e| format!("cannot create the window: {e}"))?;
    ui.window.run().map_err(|e| format!("the UI stopped: {e}"))?;
    let restart = ui.restart_requested();
    drop(ui);
    drop(terminal);
    Ok(if restart { ExitCode::from(3) } else { ExitCode::SUCCESS })
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match parse(&args).and_then(run) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("kiosk-ui: {e}");
            ExitCode::from(2)
        }
    }
}
