//! The report as one self-contained HTML page: styles inline, charts as inline SVG, the logo
//! as a data URI; nothing fetched. The page comes from a minijinja template
//! (`templates/report.html`, or the deployment's copy named in its layout).

use minijinja::{Environment, context};

use crate::{Config, Figure, Report, ReportError, ReportTable};

/// The built-in HTML template.
pub const TEMPLATE: &str = include_str!("../templates/report.html");

/// A section with its sentences, figures and tables resolved, in the layout's order.
#[derive(serde::Serialize)]
pub struct View<'a> {
    pub id: &'a str,
    pub title: &'a str,
    pub sentences: Vec<&'a str>,
    /// Per sentence, whether its text was edited by hand (shown in the analyst's preview).
    pub edited: Vec<bool>,
    pub figures: Vec<&'a Figure>,
    pub tables: Vec<&'a ReportTable>,
}

/// The sections, each with what it holds.
pub fn views(report: &Report) -> Vec<View<'_>> {
    report
        .sections
        .iter()
        .map(|s| View {
            id: &s.id,
            title: &s.title,
            sentences: s
                .sentences
                .iter()
                .filter_map(|id| report.sentence(id).map(|x| x.text.as_str()))
                .collect(),
            edited: s
                .sentences
                .iter()
                .filter_map(|id| report.sentence(id).map(|x| x.edited))
                .collect(),
            figures: s
                .figures
                .iter()
                .filter_map(|id| report.figures.iter().find(|f| &f.id == id))
                .collect(),
            tables: s.tables.iter().filter_map(|id| report.table(id)).collect(),
        })
        .collect()
}

/// Labels the template prints, in the report's language.
pub fn labels(lang: &str) -> serde_json::Value {
    let fr = lang == "fr";
    let t = |en: &str, f: &str| if fr { f.to_string() } else { en.to_string() };
    serde_json::json!({
        "key_figures": t("Key figures", "Chiffres clés"),
        "previous": t("previous year", "année précédente"),
        "about": t("About this report", "À propos de ce rapport"),
        "country": t("Country", "Pays"),
        "year": t("Reference year", "Année de référence"),
        "cutoff": t("Data cut-off", "Arrêt des données"),
        "dictionary": t("Dictionary version", "Version du dictionnaire"),
        "software": t("Software", "Logiciel"),
        "linkage": t("Counting and linkage", "Décompte et couplage"),
        "protection": t("Protection applied", "Protection appliquée"),
        "hidden": t("c: hidden by disclosure control", "c : masqué par le contrôle de la divulgation"),
        "edits": t("Sentences edited by hand", "Phrases modifiées à la main"),
        "edited": t("edited", "modifiée"),
    })
}

fn base64(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for c in bytes.chunks(3) {
        let n = (u32::from(c[0]) << 16)
            | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
            | u32::from(*c.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= c.len() {
                out.push(A[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn logo_uri(config: &Config) -> Result<Option<String>, ReportError> {
    Ok(config.logo()?.map(|(name, bytes)| {
        let lower = name.to_ascii_lowercase();
        let mime = if lower.ends_with(".svg") {
            "image/svg+xml"
        } else if lower.ends_with(".jpg") || lower.ends_with(".jpeg") {
            "image/jpeg"
        } else {
            "image/png"
        };
        format!("data:{mime};base64,{}", base64(&bytes))
    }))
}

/// Renders `report` as one HTML document.
pub fn render(report: &Report, config: &Config) -> Result<String, ReportError> {
    render_with(report, config, false)
}

/// Renders `report` for the analyst's preview: the same document, with every sentence edited by
/// hand marked as such.
pub fn render_preview(report: &Report, config: &Config) -> Result<String, ReportError> {
    render_with(report, config, true)
}

fn render_with(report: &Report, config: &Config, preview: bool) -> Result<String, ReportError> {
    let source = config.html_template()?;
    let mut env = Environment::new();
    env.set_auto_escape_callback(|_| minijinja::AutoEscape::Html);
    env.add_template("report.html", &source)
        .map_err(|e| ReportError::Template(e.to_string()))?;
    let tpl = env
        .get_template("report.html")
        .map_err(|e| ReportError::Template(e.to_string()))?;
    tpl.render(context! {
        meta => &report.meta,
        key_figures => &report.key_figures,
        sections => views(report),
        labels => labels(&report.meta.lang),
        logo => logo_uri(config)?,
        preview,
    })
    .map_err(|e| ReportError::Template(format!("{e:#}")))
}

#[cfg(test)]
mod tests {
    #[test]
    fn base64_matches_the_standard() {
        assert_eq!(super::base64(b"Man"), "TWFu");
        assert_eq!(super::base64(b"Ma"), "TWE=");
        assert_eq!(super::base64(b"M"), "TQ==");
        assert_eq!(super::base64(b""), "");
    }
}
