//! The iteration order of Arc's `ObjectMap`/`StringMap`, which decides the order in which the Java server
//! writes a map's tags into the world stream (`writeStringMap(state.map.tags)`).
//!
//! Owns: [`string_map_order`]. The Java side fills a fresh `StringMap` (initial capacity 51, load factor 0.8)
//! with the map file's meta tags in file order, then iterates its table:
//!
//! * build 159 (newer Arc): open addressing with linear probing; slot = `(hashCode * 0x9E3779B97F4A7C15) >>>
//!   shift` on 64 bits, table doubling (and re-inserting in old table order) when the size reaches
//!   `capacity * 0.8`. Deterministic; reproduces the b159 Fortress capture exactly.
//! * build 154 (older Arc): cuckoo hashing with three hash functions and a stash. When all three slots of a
//!   new key are taken, Arc evicts keys at random (`Mathf.random`), which cannot be reproduced; this module
//!   then puts the key in the stash instead. Reproduces the b154 captures (no such collisions there).
//!
//! Does not own: the tags themselves ([`crate::World::meta`], kept in file order for saves).
//!
//! Invariant: the result is a permutation of the distinct keys (the last value of a repeated key wins, at the
//! first key's place, as `put` does).

use multidustry_protocol::build::Build;

/// `String.hashCode` (over UTF-16 code units).
pub fn java_hash(s: &str) -> i32 {
    s.encode_utf16().fold(0i32, |h, c| h.wrapping_mul(31).wrapping_add(i32::from(c)))
}

/// Reorders `(key, value)` pairs as a Java `StringMap` filled with them in order iterates them in `build`.
pub fn string_map_order(pairs: &[(String, String)], build: Build) -> Vec<(String, String)> {
    // Dedup first: a repeated key replaces the value in place.
    let mut unique: Vec<(String, String)> = Vec::with_capacity(pairs.len());
    for (k, v) in pairs {
        match unique.iter_mut().find(|(x, _)| x == k) {
            Some(e) => e.1 = v.clone(),
            None => unique.push((k.clone(), v.clone())),
        }
    }
    let order = match build {
        Build::V159 => linear_order(&unique),
        Build::V154 => cuckoo_order(&unique),
    };
    order.into_iter().map(|i| unique[i].clone()).collect()
}

/// `ceil(51 / 0.8)` rounded up to a power of two.
const INITIAL_TABLE: usize = 64;
const LOAD_FACTOR: f32 = 0.8;

fn linear_order(pairs: &[(String, String)]) -> Vec<usize> {
    let mut table: Vec<Option<usize>> = vec![None; INITIAL_TABLE];
    let place = |key: &str, len: usize| -> usize {
        let shift = u64::from(len.trailing_zeros());
        let h = i64::from(java_hash(key)) as u64;
        (h.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - shift)) as usize
    };
    let insert = |table: &mut Vec<Option<usize>>, idx: usize| {
        let len = table.len();
        let mut i = place(&pairs[idx].0, len);
        while table[i].is_some() {
            i = (i + 1) & (len - 1);
        }
        table[i] = Some(idx);
    };
    let mut size = 0usize;
    for idx in 0..pairs.len() {
        insert(&mut table, idx);
        size += 1;
        if size >= (table.len() as f32 * LOAD_FACTOR) as usize {
            let old = std::mem::replace(&mut table, vec![None; 0]);
            table = vec![None; old.len() * 2];
            for e in old.into_iter().flatten() {
                insert(&mut table, e);
            }
        }
    }
    table.into_iter().flatten().collect()
}

fn cuckoo_order(pairs: &[(String, String)]) -> Vec<usize> {
    struct Table {
        slots: Vec<Option<usize>>,
        stash: Vec<usize>,
        capacity: usize,
    }
    impl Table {
        fn new(capacity: usize) -> Self {
            Self { slots: vec![None; capacity], stash: Vec::new(), capacity }
        }
        fn hashes(&self, key: &str) -> [usize; 3] {
            let h = java_hash(key);
            let mask = self.capacity - 1;
            let shift = 31 - self.capacity.trailing_zeros();
            let mix = |p: u32| {
                let x = (h as u32).wrapping_mul(p);
                ((x ^ (x >> shift)) as usize) & mask
            };
            [(h as u32 as usize) & mask, mix(0xb4b8_2e39), mix(0xced1_c241)]
        }
        fn stash_capacity(&self) -> usize {
            (((self.capacity as f64).ln().ceil() as usize) * 2).max(3)
        }
        /// Inserts; `false` when the table has to grow first.
        fn insert(&mut self, idx: usize, key: &str) -> bool {
            for slot in self.hashes(key) {
                if self.slots[slot].is_none() {
                    self.slots[slot] = Some(idx);
                    return true;
                }
            }
            if self.stash.len() == self.stash_capacity() {
                return false;
            }
            self.stash.push(idx);
            true
        }
        fn order(&self) -> Vec<usize> {
            self.slots.iter().flatten().copied().chain(self.stash.iter().copied()).collect()
        }
    }
    let mut t = Table::new(INITIAL_TABLE);
    let mut size = 0usize;
    for (idx, (key, _)) in pairs.iter().enumerate() {
        while !t.insert(idx, key) {
            t = regrow(&t.order(), pairs, t.capacity * 2);
        }
        size += 1;
        if size > (t.capacity as f32 * LOAD_FACTOR) as usize {
            t = regrow(&t.order(), pairs, t.capacity * 2);
        }
    }
    fn regrow(order: &[usize], pairs: &[(String, String)], capacity: usize) -> Table {
        let mut capacity = capacity;
        'grow: loop {
            let mut t = Table::new(capacity);
            for &i in order {
                if !t.insert(i, &pairs[i].0) {
                    capacity *= 2;
                    continue 'grow;
                }
            }
            return t;
        }
    }
    t.order()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(keys: &[&str]) -> Vec<(String, String)> {
        keys.iter().map(|k| ((*k).to_owned(), format!("v-{k}"))).collect()
    }

    #[test]
    fn java_string_hash() {
        assert_eq!(java_hash(""), 0);
        assert_eq!(java_hash("rules"), 108_873_975);
        assert_eq!(java_hash("controlledType"), 1_913_516_008);
    }

    #[test]
    fn orders_are_permutations_even_when_growing() {
        let keys: Vec<String> = (0..300).map(|i| format!("key{i}")).collect();
        let input: Vec<(String, String)> = keys.iter().map(|k| (k.clone(), String::new())).collect();
        for build in Build::ALL {
            let mut out: Vec<String> = string_map_order(&input, build).into_iter().map(|(k, _)| k).collect();
            out.sort();
            let mut expected = keys.clone();
            expected.sort();
            assert_eq!(out, expected, "{build:?}");
        }
        let dup = string_map_order(&pairs(&["a", "b", "a"]), Build::V159);
        assert_eq!(dup.len(), 2);
        assert!(dup.contains(&("a".to_owned(), "v-a".to_owned())));
    }
}
