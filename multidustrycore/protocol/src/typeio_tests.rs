use super::*;

fn rt_object(o: &Object) -> Vec<u8> {
    let mut w = Writer::new();
    w.object(o).unwrap();
    let b = w.into_inner();
    let mut r = Reader::new(&b);
    assert_eq!(&r.object().unwrap(), o);
    r.finish().unwrap();
    b
}

#[test]
fn strings_in_their_four_forms() {
    let mut w = Writer::new();
    w.str(Some("hi")).unwrap().str(None).unwrap().discovery_str("héllo", 2).buffer_str(Some("ab")).unwrap();
    w.buffer_str(None).unwrap();
    let b = w.into_inner();
    assert_eq!(b, [1, 0, 2, b'h', b'i', 0, 2, b'h', 0xc3, 0, 2, b'a', b'b', 0xff, 0xff]);
    let mut r = Reader::new(&b);
    assert_eq!(r.str().unwrap().as_deref(), Some("hi"));
    assert_eq!(r.str().unwrap(), None);
    assert_eq!(r.discovery_str().unwrap(), "h\u{fffd}");
    assert_eq!(r.buffer_str().unwrap().as_deref(), Some("ab"));
    assert_eq!(r.buffer_str().unwrap(), None);
    r.finish().unwrap();
}

#[test]
fn object_tags_match_the_spec() {
    assert_eq!(rt_object(&Object::String(Some("a".into()))), [4, 1, 0, 1, b'a']);
    assert_eq!(rt_object(&Object::Null), [0]);
    assert_eq!(rt_object(&Object::Int(-1)), [1, 0xff, 0xff, 0xff, 0xff]);
    assert_eq!(rt_object(&Object::Content(ContentRef { content_type: 1, id: 215 })), [5, 1, 0, 215]);
    assert_eq!(rt_object(&Object::UnitCommand(3)), [23, 0, 3]);
    rt_object(&Object::ObjectArray(vec![Object::Bool(true), Object::Vec2(1.0, 2.0)]));
    // Nested arrays and unknown tags are rejected; huge counts fail without allocating.
    assert!(Reader::new(&[22, 0, 0, 0, 1, 22, 0, 0, 0, 0]).object().is_err());
    assert!(Reader::new(&[24]).object().is_err());
    assert!(Reader::new(&[14, 0x7f, 0xff, 0xff, 0xff]).object().is_err());
    assert!(Reader::new(&[16, 0, 0, 3, 0xe9]).object().is_err());
}

#[test]
fn positions_pack_like_point2() {
    assert_eq!(pack_pos(-1, -1), -1);
    assert_eq!(pack_pos(113, 70), (113 << 16) | 70);
    assert_eq!(unpack_pos(pack_pos(-3, 500)), (-3, 500));
}

#[test]
fn plans_and_units() {
    let plans = vec![
        BuildPlan::Place { pos: pack_pos(113, 70), block: 215, rotation: 0, has_config: 1, config: Object::Null },
        BuildPlan::Break { pos: 5 },
    ];
    let mut w = Writer::new();
    w.plans_queue(Some(&plans)).unwrap().plans_queue(None).unwrap().unit_ref(UnitRef::Unit(226));
    let b = w.into_inner();
    let mut r = Reader::new(&b);
    assert_eq!(r.plans_queue(true).unwrap(), Some(plans));
    assert_eq!(r.plans_queue(true).unwrap(), None);
    assert_eq!(r.unit_ref().unwrap(), UnitRef::Unit(226));
    r.finish().unwrap();
    // 21 plans exceed the 159 network cap.
    let mut w = Writer::new();
    w.i32(21);
    for _ in 0..21 {
        w.u8(1).i32(0);
    }
    assert!(Reader::new(w.as_slice()).plans_queue(true).is_err());
    assert_eq!(Reader::new(w.as_slice()).plans_queue(false).unwrap().map(|p| p.len()), Some(21));
}

#[test]
fn dynamic_status_writes_only_set_fields() {
    let s =
        StatusEntry { id: DYNAMIC_STATUS_ID, time: 1.0, dynamic: [None, Some(2.0), None, None, None, None, Some(0.5)] };
    let mut w = Writer::new();
    w.status(&s);
    assert_eq!(w.len(), 2 + 4 + 1 + 8);
    assert_eq!(w.as_slice()[6], 0b100_0010);
    assert_eq!(Reader::new(w.as_slice()).status().unwrap(), s);
}

#[test]
fn client_plans_need_the_rotate_flag() {
    let plans = vec![
        ClientPlan { x: 113, y: 70, block: 215, rotation: None, config: Object::Null },
        ClientPlan { x: 1, y: 65535, block: 300, rotation: Some(3), config: Object::Int(4) },
    ];
    let mut w = Writer::new();
    w.client_plans(&plans).unwrap();
    let mut r = Reader::new(w.as_slice());
    assert_eq!(r.client_plans(|b| b == 300).unwrap(), plans);
    r.finish().unwrap();
    // The capture's empty preview (`00 00`).
    assert_eq!(Reader::new(&[0, 0]).client_plans(|_| false).unwrap(), vec![]);
    assert!(Reader::new(&[0xff, 0xff]).client_plans(|_| false).is_err());
}
