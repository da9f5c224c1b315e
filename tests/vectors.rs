//! The bucketing test vectors (tests/vectors/bucketing.json), reproduced natively.

#[test]
fn bucketing_vectors_reproduce() {
    let text = include_str!("vectors/bucketing.json");
    let doc: serde_json::Value = serde_json::from_str(text).unwrap();
    let vectors = doc["vectors"].as_array().unwrap();
    assert!(vectors.len() >= 30);
    for v in vectors {
        let (salt, id) = (v["salt"].as_str().unwrap(), v["customer_id"].as_str().unwrap());
        assert_eq!(u64::from(kairos::bucket(salt, id)), v["bucket"].as_u64().unwrap(), "salt {salt:?} id {id:?}");
    }
}
