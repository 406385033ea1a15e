//! Compiles the Slint UI with its bundled translations and debug info (element ids for tests).

fn main() {
    let config = slint_build::CompilerConfiguration::new()
        .with_style("fluent".into())
        .with_bundled_translations(concat!(env!("CARGO_MANIFEST_DIR"), "/lang"))
        .with_default_translation_context(slint_build::DefaultTranslationContext::None)
        .with_debug_info(true);
    slint_build::compile_with_config("ui/app.slint", config).expect("the Slint UI compiles");
}
