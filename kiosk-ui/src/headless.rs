//! A headless Slint platform on the software renderer: the window draws into memory. Used by
//! `--screenshots` and the benchmarks; the same renderer the terminal uses on its framebuffer.

use std::path::Path;
use std::rc::Rc;
use std::time::Instant;

use slint::platform::software_renderer::{MinimalSoftwareWindow, RepaintBufferType};
use slint::Rgb8Pixel;
use slint::platform::{Platform, WindowAdapter};
use slint::PhysicalSize;

struct Headless {
    window: Rc<MinimalSoftwareWindow>,
    start: Instant,
}

impl Platform for Headless {
    fn create_window_adapter(&self) -> Result<Rc<dyn WindowAdapter>, slint::PlatformError> {
        Ok(self.window.clone())
    }

    fn duration_since_start(&self) -> std::time::Duration {
        self.start.elapsed()
    }
}

/// Installs the headless platform for this process (once, before any window exists).
pub fn install() -> Result<Rc<MinimalSoftwareWindow>, String> {
    let window = MinimalSoftwareWindow::new(RepaintBufferType::NewBuffer);
    slint::platform::set_platform(Box::new(Headless { window: window.clone(), start: Instant::now() }))
        .map_err(|e| format!("cannot install the headless platform: {e}"))?;
    Ok(window)
}

/// A rendered frame.
pub struct Frame {
    pub width: u32,
    pub height: u32,
    pub pixels: Vec<Rgb8Pixel>,
}

/// Sizes the window and renders one full frame.
pub fn render(window: &MinimalSoftwareWindow, width: u32, height: u32) -> Frame {
    use slint::platform::WindowAdapter as _;
    window.window().set_size(PhysicalSize::new(width, height));
    slint::platform::update_timers_and_animations();
    window.request_redraw();
    let mut pixels = vec![Rgb8Pixel::new(0, 0, 0); width as usize * height as usize];
    window.draw_if_needed(|renderer| {
        renderer.render(&mut pixels, width as usize);
    });
    Frame { width, height, pixels }
}

impl Frame {
    pub fn save_png(&self, path: &Path) -> Result<(), String> {
        let file = std::fs::File::create(path).map_err(|e| format!("cannot create {}: {e}", path.display()))?;
        let mut encoder = png::Encoder::new(std::io::BufWriter::new(file), self.width, self.height);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        encoder.set_compression(png::Compression::Fast);
        let mut writer = encoder.write_header().map_err(|e| e.to_string())?;
        let mut bytes = Vec::with_capacity(self.pixels.len() * 3);
        for p in &self.pixels {
            bytes.extend_from_slice(&[p.r, p.g, p.b]);
        }
        writer.write_image_data(&bytes).map_err(|e| e.to_string())?;
        writer.finish().map_err(|e| e.to_string())
    }

    /// Whether anything differs from the first pixel's colour: a blank frame has nothing.
    pub fn has_ink(&self) -> bool {
        let bg = self.pixels.first().copied().unwrap_or(Rgb8Pixel::new(0, 0, 0));
        self.pixels.iter().any(|p| *p != bg)
    }
}
