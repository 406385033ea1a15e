//! The reader driver against the simulated SAM on real pseudo-terminals, at 115200 baud.

use std::time::Duration;

use kiosk_drivers::idcard::proto::Sw3;
use kiosk_drivers::idcard::{CardType, Control, Fault, IdCardSim, Reader, ReaderConfig, ReaderError, SimOptions};

use crate::util::{self, TempDir};

fn sim(dir: &TempDir) -> IdCardSim {
    IdCardSim::spawn(&dir.join("idcard"), SimOptions::default()).expect("spawn simulator")
}

fn reader(dir: &TempDir) -> Reader {
    Reader::open(dir.join("idcard"), 115_200)
}

#[test]
fn reads_a_resident_card_and_parses_every_field() {
    let dir = TempDir::new("idcard-read");
    let sim = sim(&dir);
    sim.place(util::resident_card()).unwrap();
    let mut reader = reader(&dir);
    let card = reader.read_card(false).unwrap();
    assert_eq!(card.card_type, CardType::Resident);
    assert_eq!(card.to_json(true), util::resident_card());
    assert_eq!(card.photo.len(), 1024, "photo kept whole and opaque");
    assert_eq!(card.fingerprint, None);
    assert_eq!(reader.stats().retransmissions, 0);
}

#[test]
fn after_a_read_find_says_no_card_until_the_card_is_placed_again() {
    let dir = TempDir::new("idcard-replace");
    let sim = sim(&dir);
    sim.place(util::resident_card()).unwrap();
    let mut reader = reader(&dir);
    reader.read_card(false).unwrap();
    assert!(matches!(reader.read_card(false), Err(ReaderError::NoCard)));
    sim.remove();
    assert!(matches!(reader.read_card(false), Err(ReaderError::NoCard)));
    sim.place(util::second_resident_card()).unwrap();
    let card = reader.read_card(false).unwrap();
    assert_eq!(card.to_json(true), util::second_resident_card());
}

#[test]
fn reads_all_card_layouts_and_reports_unknown_letters() {
    let dir = TempDir::new("idcard-layouts");
    let sim = sim(&dir);
    let mut reader = reader(&dir);
    for card in [util::hmt_card(), util::foreign_card(), util::unknown_card('Y')] {
        sim.place(card.clone()).unwrap();
        let read = reader.read_card(false).unwrap();
        assert_eq!(read.to_json(true), card);
    }
}

#[test]
fn fingerprint_reads_return_the_block_only_for_cards_that_have_it() {
    let dir = TempDir::new("idcard-fp");
    let sim = sim(&dir);
    let mut reader = reader(&dir);
    let mut with_fp = util::resident_card();
    with_fp.fingerprint = Some(true);
    sim.place(with_fp.clone()).unwrap();
    let card = reader.read_card(true).unwrap();
    assert_eq!(card.fingerprint.as_ref().map(Vec::len), Some(1024));
    assert_eq!(card.to_json(true), with_fp);

    sim.place(util::resident_card()).unwrap();
    assert_eq!(reader.read_card(true).unwrap().fingerprint, None);
    sim.place(with_fp).unwrap();
    assert_eq!(reader.read_card(false).unwrap().fingerprint, None, "30 01 never carries fingerprints");
}

#[test]
fn sam_id_status_reset_and_baud() {
    let dir = TempDir::new("idcard-sam");
    let _sim = sim(&dir);
    let mut reader = reader(&dir);
    assert_eq!(reader.sam_id().unwrap(), "05.01-20240826-0004419001-1234567890");
    reader.sam_status().unwrap();
    reader.reset_sam().unwrap();
    reader.set_baud(kiosk_drivers::idcard::proto::BaudRate::B115200).unwrap();
    assert_eq!(reader.read_new_address().unwrap_err().kind(), "read_failed", "30 03 needs a selected card");
}

/// Each fault gives its typed error (or is recovered from), and the next read succeeds.
#[test]
fn every_fault_gives_the_right_outcome_and_the_next_read_succeeds() {
    let dir = TempDir::new("idcard-faults");
    let options = SimOptions { slow_delay: Duration::from_millis(900), ..SimOptions::default() };
    let sim = IdCardSim::spawn(&dir.join("idcard"), options).unwrap();
    let mut reader = reader(&dir);

    type Check = fn(&Result<kiosk_drivers::idcard::IdCard, ReaderError>) -> bool;
    let cases: [(Fault, Check); 7] = [
        (Fault::NoCard, |r| matches!(r, Err(ReaderError::NoCard))),
        (Fault::ReadFail, |r| matches!(r, Err(ReaderError::Status { status: Sw3::ReadFailed, .. }))),
        (Fault::SamFail, |r| matches!(r, Err(ReaderError::Status { status: Sw3::SamSelfTestFailed, .. }))),
        (Fault::Garbage, |r| r.is_ok()),
        (Fault::Split, |r| r.is_ok()),
        (Fault::Slow, |r| matches!(r, Err(ReaderError::Timeout { .. }))),
        (Fault::BadChecksum, |r| matches!(r, Err(ReaderError::Corrupt { .. }))),
    ];
    for (fault, check) in cases {
        sim.place(util::resident_card()).unwrap();
        sim.control(Control::Fault { fault, count: None }).unwrap();
        let result = reader.read_card(false);
        assert!(check(&result), "{fault:?}: got {result:?}");
        sim.fault(Fault::None);
        sim.place(util::resident_card()).unwrap();
        let next = reader.read_card(false);
        assert_eq!(next.map(|c| c.to_json(true)).ok(), Some(util::resident_card()), "read after {fault:?}");
    }
}

#[test]
fn a_transient_checksum_error_is_retried_transparently() {
    let dir = TempDir::new("idcard-retry");
    let sim = sim(&dir);
    sim.place(util::resident_card()).unwrap();
    let mut reader = reader(&dir);
    sim.control(Control::Fault { fault: Fault::BadChecksum, count: Some(2) }).unwrap();
    let card = reader.read_card(false).unwrap();
    assert_eq!(card.to_json(true), util::resident_card());
    assert_eq!(reader.stats().retransmissions, 2);
}

#[test]
fn a_card_lifted_mid_read_restarts_from_find() {
    let dir = TempDir::new("idcard-lift");
    let sim = sim(&dir);
    sim.place(util::resident_card()).unwrap();
    let mut reader = reader(&dir);
    // The first read attempt fails as a lifted card does (SW3 41); the driver starts again.
    sim.control(Control::Fault { fault: Fault::ReadFail, count: Some(1) }).unwrap();
    let card = reader.read_card(false).unwrap();
    assert_eq!(card.id_number, "441882195103070022");
    assert_eq!(reader.stats().read_restarts, 1);

    // Lifted for good: the restart finds no card, which is what the caller hears.
    sim.place(util::resident_card()).unwrap();
    sim.control(Control::Fault { fault: Fault::Lift, count: Some(1) }).unwrap();
    let lifted = reader.read_card(false);
    assert!(matches!(lifted, Err(ReaderError::NoCard)), "{lifted:?}");
}

#[test]
fn unplug_is_a_disconnect_and_a_replug_on_the_same_path_is_found_again() {
    let dir = TempDir::new("idcard-unplug");
    let link = dir.join("idcard");
    let sim1 = IdCardSim::spawn(&link, SimOptions::default()).unwrap();
    sim1.place(util::resident_card()).unwrap();
    let mut reader = Reader::with_config(&link, 115_200, ReaderConfig::default());
    reader.read_card(false).unwrap();
    sim1.stop();

    let err = reader.read_card(false).unwrap_err();
    assert!(err.is_disconnect(), "unplugged reader: {err}");
    assert!(reader.read_card(false).unwrap_err().is_disconnect(), "still unplugged");

    // Replugged: a new pty (the kernel may reuse the number), the same symlink.
    let sim2 = IdCardSim::spawn(&link, SimOptions::default()).unwrap();
    sim2.place(util::second_resident_card()).unwrap();
    let card = reader.read_card(false).unwrap();
    assert_eq!(card.to_json(true), util::second_resident_card());
    assert!(reader.link().open_count() >= 2, "the port was reopened by path");
}

#[test]
fn waiting_for_a_card_times_out_with_no_card_and_sees_a_late_card() {
    let dir = TempDir::new("idcard-wait");
    let sim = sim(&dir);
    let mut reader = reader(&dir);
    let r = reader.wait_for_card(Duration::from_millis(300), Duration::from_millis(50), false);
    assert!(matches!(r, Err(ReaderError::NoCard)));
    let card = std::thread::scope(|s| {
        s.spawn(|| {
            std::thread::sleep(Duration::from_millis(200));
            sim.place(util::resident_card()).unwrap();
        });
        reader.wait_for_card(Duration::from_secs(5), Duration::from_millis(50), false)
    });
    assert_eq!(card.unwrap().name, "张秀英");
}
