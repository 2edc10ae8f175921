//! Reading a pool's spreadsheet: words, separators, positions and every problem.

use super::*;

fn fields(problems: &[FieldError]) -> Vec<&str> {
    problems.iter().map(|p| p.field.as_str()).collect()
}

#[test]
fn a_german_spreadsheet_reads_with_its_words_decimal_commas_and_bom() {
    let file = "\u{feff}Name;E-Mail;Anrede;Sprachen;Einsatzformen;PLZ;Breitengrad;Längengrad;Fahrweg km;Telefon\n\
        Olena Kovalenko;olena@example.org;Frau;uk:zertifiziert, ru (geschult);Video, vor Ort;04109;51,3397;12,3731;40;0341 1234\n\
        Ahmad Karimi;ahmad@example.org;m;prs, fa:trained;Telefon;01067;51,05;13,74;;\n";
    let rows = read(file).expect("read");
    assert_eq!(rows.len(), 2);
    let olena = &rows[0].profile;
    assert_eq!(rows[0].line, 2);
    assert_eq!(olena.gender, Gender::Female);
    assert_eq!(olena.languages.len(), 2);
    assert_eq!(olena.languages[0].qualification, Qualification::Certified);
    assert_eq!(olena.languages[1].qualification, Qualification::Trained);
    assert_eq!(olena.modalities, [Modality::Video, Modality::OnSite]);
    assert!((olena.home.expect("given").lat - 51.3397).abs() < 1e-9);
    assert_eq!(olena.max_travel_km, 40.0);
    assert_eq!(olena.phone.as_deref(), Some("0341 1234"));
    assert_eq!(olena.max_minutes_per_week, 1200, "20 hours by default");
    let ahmad = &rows[1].profile;
    assert_eq!(ahmad.languages[0].qualification, Qualification::Lay);
    assert_eq!(ahmad.max_travel_km, 50.0);
    assert_eq!(ahmad.phone, None);
    assert_eq!(rows[1].locale, "de");
}

#[test]
fn an_english_comma_file_reads_too() {
    let file = "name,email,gender,languages,modalities,postal_code,lat,lon,hours_per_week,locale\n\
        Hana Mirza,hana@example.org,female,\"ckb:certified, ar\",video,01067,51.05,13.74,12.5,en\n";
    let rows = read(file).expect("read");
    assert_eq!(rows[0].profile.max_minutes_per_week, 750);
    assert_eq!(rows[0].locale, "en");
    assert_eq!(rows[0].profile.languages.len(), 2);
}

#[test]
fn a_file_without_positions_places_each_home_by_its_postal_code() {
    let file = "Name;E-Mail;Anrede;Sprachen;Einsatzformen;PLZ\n\
        Olena Kovalenko;olena@example.org;Frau;uk;vor Ort;09456\n\
        Ahmad Karimi;ahmad@example.org;m;prs;Telefon;99999\n\
        Hana Mirza;hana@example.org;w;ckb;Video;0410\n";
    let problems = read(file).expect_err("two codes are wrong");
    assert_eq!(
        fields(&problems),
        ["lines[3].postal_code", "lines[4].postal_code"]
    );
    assert_eq!(problems[0].key, "appointment.postal_code_unknown");
    let rows = read(&file.lines().take(2).collect::<Vec<_>>().join("\n")).expect("read");
    let home = rows[0].profile.home.expect("derived");
    // The middle of Annaberg-Buchholz and Mildenau.
    assert!((home.lat - 50.5832).abs() < 1e-3, "{home:?}");
    assert!((home.lon - 13.0395).abs() < 1e-3, "{home:?}");
}

#[test]
fn every_problem_is_reported_by_line_and_column() {
    let file = "name;email;gender;languages;modalities;postal_code;lat;lon\n\
        A;a@example.org;w;uk;video;04109;51;12\n\
        B;b@example.org;w;elbisch;video;04109;51;12\n\
        C;a@example.org;w;uk;video;04109;51;12\n\
        D;d@example.org;x;uk:fließend;Brieftaube;04109;Norden;12\n\
        E;e@example.org;w;uk;video;04109;51\n\
        F;f@example.org;w;uk;video;04109;95;12\n";
    let problems = read(file).expect_err("problems");
    assert_eq!(
        fields(&problems),
        [
            "lines[3].languages",
            "lines[4].email",
            "lines[5].gender",
            "lines[5].languages",
            "lines[5].modalities",
            "lines[5].lat",
            "lines[6].line",
            "lines[7].lat",
        ]
    );
    assert_eq!(problems[1].key, "import.twice");
    assert_eq!(problems[1].args.get("line").map(String::as_str), Some("2"));
}

#[test]
fn a_file_without_a_needed_column_is_refused_at_the_header() {
    let problems = read("name;email\nA;a@example.org\n").expect_err("columns");
    assert!(problems.iter().all(|p| p.field.starts_with("lines[1].")));
    assert!(fields(&problems).contains(&"lines[1].languages"));
    assert_eq!(problems[0].key, "import.missing_column");
}
