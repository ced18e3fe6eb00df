//! Proptest strategies for every wire type (tests only). Floats avoid NaN so that `PartialEq` round trips
//! hold; `Option<i32>` player fields are always the server-sent form (`Some`).

use proptest::collection::vec;
use proptest::prelude::*;

use crate::entity::{
    EntityData, EntityRecord, FireSync, PlayerSync, PuddleSync, UnitSync, WeatherSync, WorldLabelSync, unit_layout,
};
use crate::packets::{IntSeq, JsonText, KickReason, LiquidStack, RestBytes};
use crate::typeio::{
    BuildPlan, CommandAi, CommandTarget, ContentRef, Controller, DYNAMIC_STATUS_ID, ItemStack, Mount, Object,
    StatusEntry, TraceInfo, UnitRef,
};

/// A strategy per wire type.
pub(crate) trait ArbField: Sized + std::fmt::Debug {
    fn arb() -> BoxedStrategy<Self>;
}

macro_rules! arb_any {
    ($($t:ty),*) => {$( impl ArbField for $t { fn arb() -> BoxedStrategy<Self> { any::<$t>().boxed() } } )*};
}
arb_any!(u8, i8, u16, i16, i32, i64, bool);

pub(crate) fn f32s() -> BoxedStrategy<f32> {
    prop_oneof![Just(0.0f32), Just(-1.0f32), -1.0e6f32..1.0e6f32, Just(f32::INFINITY)].boxed()
}

impl ArbField for f32 {
    fn arb() -> BoxedStrategy<Self> {
        f32s()
    }
}

impl ArbField for f64 {
    fn arb() -> BoxedStrategy<Self> {
        prop_oneof![Just(0.0f64), -1.0e12f64..1.0e12f64].boxed()
    }
}

pub(crate) fn strings() -> BoxedStrategy<String> {
    prop_oneof![Just(String::new()), "[a-z ]{0,12}", ".{0,8}", Just("ünïcödé ✓ 日本語 🚀 \u{0}".to_string())].boxed()
}

impl ArbField for Option<String> {
    fn arb() -> BoxedStrategy<Self> {
        proptest::option::of(strings()).boxed()
    }
}

impl ArbField for Option<i32> {
    fn arb() -> BoxedStrategy<Self> {
        any::<i32>().prop_map(Some).boxed()
    }
}

impl ArbField for UnitRef {
    fn arb() -> BoxedStrategy<Self> {
        prop_oneof![
            any::<i32>().prop_map(UnitRef::Null),
            any::<i32>().prop_map(UnitRef::Block),
            any::<i32>().prop_map(UnitRef::Unit),
            (3u8.., any::<i32>()).prop_map(|(k, v)| UnitRef::Other(k, v)),
        ]
        .boxed()
    }
}

impl ArbField for ContentRef {
    fn arb() -> BoxedStrategy<Self> {
        (any::<u8>(), any::<i16>()).prop_map(|(content_type, id)| ContentRef { content_type, id }).boxed()
    }
}

fn leaf_object() -> BoxedStrategy<Object> {
    prop_oneof![
        Just(Object::Null),
        any::<i32>().prop_map(Object::Int),
        any::<i64>().prop_map(Object::Long),
        f32s().prop_map(Object::Float),
        <Option<String>>::arb().prop_map(Object::String),
        ContentRef::arb().prop_map(Object::Content),
        vec(any::<i32>(), 0..5).prop_map(Object::IntSeq),
        (any::<i32>(), any::<i32>()).prop_map(|(x, y)| Object::Point2 { x, y }),
        vec(any::<i32>(), 0..5).prop_map(Object::Point2Array),
        ContentRef::arb().prop_map(Object::TechNode),
        any::<bool>().prop_map(Object::Bool),
        f64::arb().prop_map(Object::Double),
        any::<i32>().prop_map(Object::Building),
        any::<i16>().prop_map(Object::LAccess),
        vec(any::<u8>(), 0..16).prop_map(Object::Bytes),
        any::<u8>().prop_map(Object::LegacyUnitCommand),
        vec(any::<bool>(), 0..5).prop_map(Object::BoolArray),
        any::<i32>().prop_map(Object::Unit),
        vec((f32s(), f32s()), 0..4).prop_map(Object::Vec2Array),
        (f32s(), f32s()).prop_map(|(x, y)| Object::Vec2(x, y)),
        any::<u8>().prop_map(Object::Team),
        vec(any::<i32>(), 0..5).prop_map(Object::IntArray),
        any::<u16>().prop_map(Object::UnitCommand),
    ]
    .boxed()
}

impl ArbField for Object {
    fn arb() -> BoxedStrategy<Self> {
        prop_oneof![4 => leaf_object(), 1 => vec(leaf_object(), 0..4).prop_map(Object::ObjectArray)].boxed()
    }
}

impl ArbField for Vec<u8> {
    fn arb() -> BoxedStrategy<Self> {
        vec(any::<u8>(), 0..40).boxed()
    }
}

impl ArbField for Vec<i32> {
    fn arb() -> BoxedStrategy<Self> {
        vec(any::<i32>(), 0..8).boxed()
    }
}

impl ArbField for Vec<i16> {
    fn arb() -> BoxedStrategy<Self> {
        vec(any::<i16>(), 0..8).boxed()
    }
}

impl ArbField for Vec<Vec<Option<String>>> {
    fn arb() -> BoxedStrategy<Self> {
        vec(vec(<Option<String>>::arb(), 0..3), 0..3).boxed()
    }
}

impl ArbField for (f32, f32) {
    fn arb() -> BoxedStrategy<Self> {
        (f32s(), f32s()).boxed()
    }
}

impl ArbField for TraceInfo {
    fn arb() -> BoxedStrategy<Self> {
        (
            <Option<String>>::arb(),
            <Option<String>>::arb(),
            <Option<String>>::arb(),
            any::<bool>(),
            any::<bool>(),
            any::<i32>(),
            any::<i32>(),
            vec(<Option<String>>::arb(), 0..3),
            vec(<Option<String>>::arb(), 0..3),
        )
            .prop_map(|(ip, uuid, locale, modded, mobile, times_joined, times_kicked, ips, names)| TraceInfo {
                ip,
                uuid,
                locale,
                modded,
                mobile,
                times_joined,
                times_kicked,
                ips,
                names,
            })
            .boxed()
    }
}

impl ArbField for ItemStack {
    fn arb() -> BoxedStrategy<Self> {
        (any::<i16>(), any::<i32>()).prop_map(|(item, amount)| ItemStack { item, amount }).boxed()
    }
}

impl ArbField for Vec<ItemStack> {
    fn arb() -> BoxedStrategy<Self> {
        vec(ItemStack::arb(), 0..5).boxed()
    }
}

impl ArbField for Vec<LiquidStack> {
    fn arb() -> BoxedStrategy<Self> {
        vec((any::<i16>(), f32s()).prop_map(|(liquid, amount)| LiquidStack { liquid, amount }), 0..5).boxed()
    }
}

impl ArbField for IntSeq {
    fn arb() -> BoxedStrategy<Self> {
        vec(any::<i32>(), 0..8).prop_map(IntSeq).boxed()
    }
}

impl ArbField for JsonText {
    fn arb() -> BoxedStrategy<Self> {
        strings().prop_map(JsonText).boxed()
    }
}

impl ArbField for RestBytes {
    fn arb() -> BoxedStrategy<Self> {
        vec(any::<u8>(), 0..40).prop_map(RestBytes).boxed()
    }
}

impl ArbField for KickReason {
    fn arb() -> BoxedStrategy<Self> {
        proptest::sample::select(KickReason::ALL.to_vec()).boxed()
    }
}

pub(crate) fn plan() -> BoxedStrategy<BuildPlan> {
    prop_oneof![
        any::<i32>().prop_map(|pos| BuildPlan::Break { pos }),
        (any::<i32>(), any::<i16>(), any::<u8>(), any::<u8>(), Object::arb()).prop_map(
            |(pos, block, rotation, has_config, config)| BuildPlan::Place { pos, block, rotation, has_config, config }
        ),
    ]
    .boxed()
}

pub(crate) fn plans() -> BoxedStrategy<Option<Vec<BuildPlan>>> {
    proptest::option::of(vec(plan(), 0..4)).boxed()
}

fn controller() -> BoxedStrategy<Controller> {
    let target = prop_oneof![
        any::<i32>().prop_map(CommandTarget::Building),
        any::<i32>().prop_map(CommandTarget::Unit),
        (f32s(), f32s()).prop_map(|(x, y)| CommandTarget::Position(x, y)),
        (3u8..).prop_map(CommandTarget::Nothing),
    ];
    let ai = (
        proptest::option::of((f32s(), f32s())),
        proptest::option::of((any::<u8>(), any::<i32>())),
        any::<i8>(),
        vec(target, 0..3),
        vec(any::<u8>(), 0..3),
    )
        .prop_map(|(target_pos, attack, command, queue, stances)| {
            Controller::Command(CommandAi { target_pos, attack, command, queue, stances })
        });
    prop_oneof![
        any::<i32>().prop_map(Controller::Player),
        any::<i32>().prop_map(Controller::Logic),
        Just(Controller::Assembler),
        Just(Controller::Ai),
        ai,
    ]
    .boxed()
}

fn status() -> BoxedStrategy<StatusEntry> {
    (
        prop_oneof![Just(DYNAMIC_STATUS_ID), any::<i16>()],
        f32s(),
        proptest::array::uniform7(proptest::option::of(f32s())),
    )
        .prop_map(|(id, time, dynamic)| StatusEntry {
            id,
            time,
            dynamic: if id == DYNAMIC_STATUS_ID { dynamic } else { [None; 7] },
        })
        .boxed()
}

/// Unit records valid for `v159` (aim) or 154 (ammo); fields absent from a class layout stay zero.
fn unit(v159: bool) -> BoxedStrategy<UnitSync> {
    let classes: Vec<u8> = (0u8..=60).filter(|c| unit_layout(*c).is_some()).collect();
    (
        (proptest::sample::select(classes), vec(f32s(), 0..3), f32s(), f32s(), f32s(), f32s(), any::<i32>()),
        (controller(), f32s(), f64::arb(), f32s(), any::<bool>(), f32s(), any::<i32>()),
        (vec((any::<u8>(), f32s(), f32s()), 0..3), plans(), f32s(), f32s(), any::<bool>(), ItemStack::arb()),
        (vec(status(), 0..3), any::<u8>(), f32s(), any::<i16>(), any::<bool>(), (f32s(), f32s()), f32s(), f32s()),
    )
        .prop_map(move |(a, b, c, d)| {
            let layout = unit_layout(a.0).expect("selected from unit classes");
            UnitSync {
                class_id: a.0,
                abilities: a.1,
                ammo: if v159 { 0.0 } else { a.2 },
                aim_x: if v159 { a.3 } else { 0.0 },
                aim_y: if v159 { a.4 } else { 0.0 },
                base_rotation: if layout.mech { a.5 } else { 0.0 },
                building: if layout.tether { a.6 } else { 0 },
                controller: b.0,
                elevation: b.1,
                flag: b.2,
                health: b.3,
                is_shooting: b.4,
                lifetime: if layout.timed { b.5 } else { 0.0 },
                mine_tile: b.6,
                mounts: c.0.into_iter().map(|(flags, aim_x, aim_y)| Mount { flags, aim_x, aim_y }).collect(),
                plans: c.1,
                rotation: c.2,
                shield: c.3,
                spawned_by_core: c.4,
                stack: c.5,
                statuses: d.0,
                team: d.1,
                time: if layout.timed { d.2 } else { 0.0 },
                type_id: d.3,
                update_building: d.4,
                vel: d.5,
                x: d.6,
                y: d.7,
            }
        })
        .boxed()
}

/// Entity records valid for the build (`v159` or 154).
pub(crate) fn entity_record(v159: bool) -> BoxedStrategy<EntityRecord> {
    let player = (
        (any::<bool>(), any::<bool>(), any::<i32>(), f32s(), f32s(), <Option<String>>::arb(), any::<i16>()),
        (any::<i32>(), any::<bool>(), any::<u8>(), any::<bool>(), UnitRef::arb(), f32s(), f32s()),
    )
        .prop_map(move |(a, b)| {
            EntityData::Player(PlayerSync {
                admin: a.0,
                boosting: a.1,
                color: a.2,
                mouse_x: a.3,
                mouse_y: a.4,
                name: a.5,
                selected_block: if v159 { a.6 } else { 0 },
                selected_rotation: if v159 { b.0 } else { 0 },
                shooting: b.1,
                team: b.2,
                typing: b.3,
                unit: b.4,
                x: b.5,
                y: b.6,
            })
        });
    let fire = (f32s(), any::<i32>(), f32s(), f32s(), f32s())
        .prop_map(|(lifetime, tile, time, x, y)| EntityData::Fire(FireSync { lifetime, tile, time, x, y }));
    let puddle = (f32s(), any::<i16>(), any::<i32>(), f32s(), f32s())
        .prop_map(|(amount, liquid, tile, x, y)| EntityData::Puddle(PuddleSync { amount, liquid, tile, x, y }));
    let weather = (f32s(), f32s(), f32s(), f32s(), any::<i16>(), (f32s(), f32s()), f32s(), f32s()).prop_map(
        |(effect_timer, intensity, life, opacity, weather, wind, x, y)| {
            EntityData::Weather(WeatherSync { effect_timer, intensity, life, opacity, weather, wind, x, y })
        },
    );
    let label = (any::<i8>(), f32s(), any::<i32>(), <Option<String>>::arb(), f32s(), f32s(), f32s()).prop_map(
        move |(flags, font_size, parent, text, x, y, z)| {
            EntityData::WorldLabel(WorldLabelSync {
                flags,
                font_size,
                parent: if v159 { parent } else { 0 },
                text,
                x,
                y,
                z,
            })
        },
    );
    let data = prop_oneof![3 => player, 3 => unit(v159).prop_map(EntityData::Unit), 1 => fire, 1 => puddle,
        1 => weather, 1 => label];
    (any::<i32>(), data).prop_map(|(id, data)| EntityRecord { id, data }).boxed()
}
