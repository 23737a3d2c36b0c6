//! Optional rounding, the deployment setting `disclosure_rounding`: applied after suppression
//! to every table and total of a return, stated in the protection sentence in English and
//! French, off by default, and a mistyped setting refused. Also the partners' dashboards and the
//! API's figures go through the same layer (`Scope::Partner` under `deployment_disclosure`).

use std::sync::Arc;

use tessera_analysis::dashboard::{Filters, Scope};
use tessera_analysis::{Disclosure, Facts, Unit};
use tessera_dictionary::Dictionary;
use tessera_outputs::{Kind, Protection, files};
use tessera_pseudonym::{KeyedEncoder, Secret};
use tessera_store::Store;

fn dict() -> Dictionary {
    Dictionary::base()
        .unwrap()
        .with_extension(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../dictionary/extensions/cf.toml"),
        )
        .unwrap()
}

#[tokio::test]
async fn a_rounding_base_rounds_every_published_figure_and_is_stated() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("t.db").to_str().unwrap())
        .await
        .unwrap();
    let d = dict();
    let enc = KeyedEncoder::new(&Secret::from_bytes(&[9; 32]).unwrap());
    tessera_demo::run(&store, &d, Arc::new(enc), 1500, 5, &mut Vec::new(), |_| {})
        .await
        .unwrap();

    // Off by default: figures as before, and the sentence says there is no rounding.
    assert_eq!(
        tessera_analysis::deployment_disclosure(&store)
            .await
            .unwrap(),
        Disclosure::default()
    );
    let plain = tessera_outputs::from_store(&store, &d, Kind::Glotip, 2024, "en", false)
        .await
        .unwrap();
    assert!(plain.protection.statement("en").contains("No rounding"));
    assert!(plain.protection.statement("fr").contains("Pas d'arrondi"));
    let unrounded = plain
        .observations()
        .iter()
        .filter_map(|(_, o)| o.value)
        .filter(|v| v % 5.0 != 0.0)
        .count();
    assert!(
        unrounded > 0,
        "the demo has figures that are not multiples of 5"
    );

    for bad in ["1", "3.5", "-5", "five", "1000"] {
        store.set_setting("disclosure_rounding", bad).await.unwrap();
        assert!(
            tessera_analysis::deployment_disclosure(&store)
                .await
                .is_err(),
            "{bad}"
        );
    }
    store.set_setting("disclosure_rounding", "5").await.unwrap();
    for lang in ["en", "fr"] {
        let ret = tessera_outputs::from_store(&store, &d, Kind::Glotip, 2024, lang, false)
            .await
            .unwrap();
        assert_eq!(
            ret.protection,
            Protection {
                threshold: 5.0,
                rounding: 5
            }
        );
        let mut published = 0;
        for t in &ret.tables {
            for v in t
                .table
                .rows
                .iter()
                .flat_map(|r| r.values.iter().flatten())
                .chain(t.totals.iter().filter_map(|(_, v)| v.as_ref()))
            {
                assert_eq!(v % 5.0, 0.0, "{}: {v}", t.id);
                published += 1;
            }
        }
        assert!(published > 20, "{published}");
        // Suppressed first, then rounded: the same cells are hidden as without rounding.
        for (a, b) in plain.tables.iter().zip(&ret.tables) {
            for (x, y) in a.table.rows.iter().zip(&b.table.rows) {
                assert_eq!(x.values[0].is_none(), y.values[0].is_none(), "{}", a.id);
            }
        }
        let statement = ret.protection.statement(lang);
        let said = match lang {
            "fr" => "base d'arrondi 5",
            _ => "rounding base 5",
        };
        assert!(statement.contains(said), "{statement}");
        assert!(ret.protection.short().contains("rounded to base 5"));
        // Every file states it.
        assert!(files::csv(&ret).contains(said));
    }

    // Partners' dashboards under the same setting.
    let facts = Facts::build(&store, &d).await.unwrap();
    let disclosure = tessera_analysis::deployment_disclosure(&store)
        .await
        .unwrap();
    let v = tessera_analysis::victims(
        &facts,
        &Scope::partner_with(disclosure),
        &Filters::default(),
        Unit::Records,
        "en",
    )
    .unwrap();
    assert_eq!(v.total.map(|t| t % 5.0), Some(0.0));
    for t in [&v.by_year, &v.by_year_sex, &v.by_sex, &v.by_region] {
        for x in t.rows.iter().flat_map(|r| r.values.iter().flatten()) {
            assert_eq!(x % 5.0, 0.0, "{}: {x}", t.id);
        }
    }
}
