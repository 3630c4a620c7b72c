//! The 80 COCO classes (in the models' output order) and their
//! super-categories (COCO's own: person, vehicle, animal, …), which become
//! a taxonomy in the catalogue so `has:animal` finds dogs and horses.

/// Class names, index = class id.
pub const CLASSES: [&str; 80] = [
    "person",
    "bicycle",
    "car",
    "motorcycle",
    "airplane",
    "bus",
    "train",
    "truck",
    "boat",
    "traffic light",
    "fire hydrant",
    "stop sign",
    "parking meter",
    "bench",
    "bird",
    "cat",
    "dog",
    "horse",
    "sheep",
    "cow",
    "elephant",
    "bear",
    "zebra",
    "giraffe",
    "backpack",
    "umbrella",
    "handbag",
    "tie",
    "suitcase",
    "frisbee",
    "skis",
    "snowboard",
    "sports ball",
    "kite",
    "baseball bat",
    "baseball glove",
    "skateboard",
    "surfboard",
    "tennis racket",
    "bottle",
    "wine glass",
    "cup",
    "fork",
    "knife",
    "spoon",
    "bowl",
    "banana",
    "apple",
    "sandwich",
    "orange",
    "broccoli",
    "carrot",
    "hot dog",
    "pizza",
    "donut",
    "cake",
    "chair",
    "couch",
    "potted plant",
    "bed",
    "dining table",
    "toilet",
    "tv",
    "laptop",
    "mouse",
    "remote",
    "keyboard",
    "cell phone",
    "microwave",
    "oven",
    "toaster",
    "sink",
    "refrigerator",
    "book",
    "clock",
    "vase",
    "scissors",
    "teddy bear",
    "hair drier",
    "toothbrush",
];

/// COCO's super-category of each class (same order).
pub const SUPER: [&str; 80] = [
    "person",
    "vehicle",
    "vehicle",
    "vehicle",
    "vehicle",
    "vehicle",
    "vehicle",
    "vehicle",
    "vehicle",
    "outdoor",
    "outdoor",
    "outdoor",
    "outdoor",
    "outdoor",
    "animal",
    "animal",
    "animal",
    "animal",
    "animal",
    "animal",
    "animal",
    "animal",
    "animal",
    "animal",
    "accessory",
    "accessory",
    "accessory",
    "accessory",
    "accessory",
    "sports",
    "sports",
    "sports",
    "sports",
    "sports",
    "sports",
    "sports",
    "sports",
    "sports",
    "sports",
    "kitchen",
    "kitchen",
    "kitchen",
    "kitchen",
    "kitchen",
    "kitchen",
    "kitchen",
    "food",
    "food",
    "food",
    "food",
    "food",
    "food",
    "food",
    "food",
    "food",
    "food",
    "furniture",
    "furniture",
    "furniture",
    "furniture",
    "furniture",
    "furniture",
    "electronic",
    "electronic",
    "electronic",
    "electronic",
    "electronic",
    "electronic",
    "appliance",
    "appliance",
    "appliance",
    "appliance",
    "appliance",
    "indoor",
    "indoor",
    "indoor",
    "indoor",
    "indoor",
    "indoor",
    "indoor",
];

/// The class id of a name (`"dog"`, or with `_`/`-` for spaces: `"cell_phone"`).
pub fn class_id(name: &str) -> Option<usize> {
    let n = name.trim().to_lowercase().replace(['_', '-'], " ");
    CLASSES.iter().position(|c| *c == n)
}

/// The classes a search word means: a class, or every class of a
/// super-category (`animal` → bird, cat, dog, horse…). `person` is both.
pub fn expand(word: &str) -> Vec<usize> {
    if let Some(c) = class_id(word) {
        return vec![c];
    }
    let w = word.trim().to_lowercase();
    (0..80).filter(|&i| SUPER[i] == w).collect()
}

/// People and animals: the subjects photos are about (first in subject-aware scores).
pub fn is_living(class_id: usize) -> bool {
    matches!(SUPER.get(class_id), Some(&"person") | Some(&"animal"))
}

/// The taxonomy rows (id, parent id, name, rank) for the catalogue: COCO
/// at the top, super-categories, then classes (`person` sits directly under
/// the root, being its own super-category).
pub fn taxonomy_rows() -> Vec<(String, Option<String>, String, String)> {
    let mut rows = vec![("coco".to_string(), None, "COCO objects".to_string(), "root".to_string())];
    let mut supers: Vec<&str> = SUPER.to_vec();
    supers.dedup();
    supers.sort_unstable();
    supers.dedup();
    for s in supers.iter().filter(|s| **s != "person") {
        rows.push((format!("super:{s}"), Some("coco".into()), s.to_string(), "supercategory".into()));
    }
    for (i, c) in CLASSES.iter().enumerate() {
        let parent = if SUPER[i] == "person" { "coco".to_string() } else { format!("super:{}", SUPER[i]) };
        rows.push((format!("class:{i}"), Some(parent), c.to_string(), "class".into()));
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_super_categories() {
        assert_eq!(class_id("dog"), Some(16));
        assert_eq!(class_id("Cell_Phone"), Some(67));
        assert_eq!(expand("horse"), vec![17]);
        let animals = expand("animal");
        assert!(animals.contains(&16) && animals.contains(&17) && animals.contains(&14) && animals.len() == 10);
        assert_eq!(expand("vehicle").len(), 8);
        assert!(expand("unicorn").is_empty());
        assert!(is_living(0) && is_living(16) && !is_living(1));
        let rows = taxonomy_rows();
        assert_eq!(rows.len(), 1 + 11 + 80);
    }
}
