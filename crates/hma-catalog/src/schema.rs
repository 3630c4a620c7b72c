//! Diesel's view of the catalogue, one portable schema for both backends.
//!
//! Written to match `migrations/sqlite` and `migrations/mysql` (regenerate a
//! starting point with `diesel print-schema --database-url cat.db` against a
//! migrated SQLite file; then keep `BigInt` for every id, since MariaDB uses
//! BIGINT keys where SQLite's rowid is already 64-bit). The test
//! `both_backends_have_the_same_columns` guards the two migration folders.

diesel::table! {
    roots (id) {
        id -> BigInt,
        uuid -> Text,
        name -> Text,
        is_backup -> Bool,
        created_ms -> BigInt,
        last_scan_ms -> Nullable<BigInt>,
        sidecars -> Bool,
    }
}

diesel::table! {
    sidecars (id) {
        id -> BigInt,
        capture_id -> BigInt,
        root_id -> BigInt,
        rel_path -> Text,
        size -> BigInt,
        mtime_ms -> BigInt,
        written_ms -> BigInt,
    }
}

diesel::table! {
    root_locations (id) {
        id -> BigInt,
        root_id -> BigInt,
        machine -> Text,
        path -> Text,
        updated_ms -> BigInt,
    }
}

diesel::table! {
    captures (id) {
        id -> BigInt,
        taken_local_ms -> Nullable<BigInt>,
        taken_has_ms -> Bool,
        taken_offset_min -> Nullable<Integer>,
        make -> Nullable<Text>,
        model -> Nullable<Text>,
        serial -> Nullable<Text>,
        lens -> Nullable<Text>,
        focal_length_mm -> Nullable<Double>,
        f_number -> Nullable<Double>,
        exposure_time_s -> Nullable<Double>,
        iso -> Nullable<BigInt>,
        gps_lat -> Nullable<Double>,
        gps_lon -> Nullable<Double>,
        gps_alt -> Nullable<Double>,
        orientation -> Nullable<Integer>,
        rating -> Nullable<Integer>,
        label -> Nullable<Text>,
        pick -> Nullable<Integer>,
        created_ms -> BigInt,
    }
}

diesel::table! {
    files (id) {
        id -> BigInt,
        root_id -> BigInt,
        rel_path -> Text,
        path_key -> BigInt,
        dir_key -> BigInt,
        raw_path -> Nullable<Binary>,
        size -> BigInt,
        mtime_ns -> BigInt,
        content_hash -> Nullable<BigInt>,
        kind -> Text,
        format -> Text,
        width -> Nullable<Integer>,
        height -> Nullable<Integer>,
        capture_id -> Nullable<BigInt>,
        first_seen_ms -> BigInt,
        last_seen_ms -> BigInt,
        missing -> Bool,
        error -> Nullable<Text>,
    }
}

diesel::table! {
    file_relations (id) {
        id -> BigInt,
        file_id -> BigInt,
        other_file_id -> BigInt,
        kind -> Text,
        signal_name -> Text,
        confidence -> Double,
    }
}

diesel::table! {
    content_history (id) {
        id -> BigInt,
        file_id -> BigInt,
        content_hash -> BigInt,
        size -> BigInt,
        mtime_ns -> BigInt,
        seen_ms -> BigInt,
        scan_id -> Nullable<BigInt>,
    }
}

diesel::table! {
    scans (id) {
        id -> BigInt,
        machine -> Text,
        started_ms -> BigInt,
        finished_ms -> Nullable<BigInt>,
        status -> Text,
        seen -> BigInt,
        new_files -> BigInt,
        changed -> BigInt,
        unchanged -> BigInt,
        moved -> BigInt,
        missing -> BigInt,
        errors -> BigInt,
    }
}

diesel::table! {
    scan_problems (id) {
        id -> BigInt,
        scan_id -> BigInt,
        root_id -> BigInt,
        rel_path -> Text,
        message -> Text,
    }
}

diesel::table! {
    capture_keywords (id) {
        id -> BigInt,
        capture_id -> BigInt,
        keyword -> Text,
        hierarchical -> Bool,
    }
}

diesel::table! {
    taxonomies (id) {
        id -> BigInt,
        name -> Text,
        source_format -> Text,
        source_hash -> BigInt,
        node_count -> BigInt,
        imported_ms -> BigInt,
    }
}

diesel::table! {
    taxonomy_nodes (id) {
        id -> BigInt,
        taxonomy_id -> BigInt,
        external_id -> Text,
        parent_external_id -> Nullable<Text>,
        parent_id -> Nullable<BigInt>,
        name -> Text,
        taxon_rank -> Nullable<Text>,
        status -> Nullable<Text>,
        name_key -> Nullable<Text>,
    }
}

diesel::table! {
    job_marks (name) {
        name -> Text,
        value -> BigInt,
    }
}

diesel::table! {
    events (id) {
        id -> BigInt,
        start_ms -> BigInt,
        end_ms -> BigInt,
        captures -> Integer,
        updated_ms -> BigInt,
    }
}

diesel::table! {
    capture_events (capture_id) {
        capture_id -> BigInt,
        event_id -> BigInt,
    }
}

diesel::table! {
    calendars (id) {
        id -> BigInt,
        year -> Integer,
        name -> Text,
        from_day -> Text,
        to_day -> Text,
        country -> Nullable<Text>,
        paper -> Text,
        dpi -> Integer,
        landscape -> Bool,
        created_ms -> BigInt,
        updated_ms -> BigInt,
    }
}

diesel::table! {
    calendar_slots (calendar_id, slot) {
        calendar_id -> BigInt,
        slot -> Integer,
        file_id -> Nullable<BigInt>,
        chosen_by -> Text,
        why -> Text,
        note -> Nullable<Text>,
        updated_ms -> BigInt,
    }
}

diesel::table! {
    calendar_suggestions (calendar_id, slot, nth) {
        calendar_id -> BigInt,
        slot -> Integer,
        nth -> Integer,
        file_id -> BigInt,
        gain -> Double,
        why -> Text,
    }
}

diesel::table! {
    saved_searches (id) {
        id -> BigInt,
        name -> Text,
        query -> Text,
        created_ms -> BigInt,
    }
}

diesel::table! {
    capture_taxa (id) {
        id -> BigInt,
        capture_id -> BigInt,
        node_id -> BigInt,
        source -> Text,
        confidence -> Nullable<Double>,
        model_version -> Nullable<Text>,
        created_ms -> BigInt,
    }
}

diesel::table! {
    catalog_stats (id) {
        id -> BigInt,
        files -> BigInt,
        captures -> BigInt,
        duplicate_groups -> BigInt,
        errors -> BigInt,
        dirty -> Bool,
        computed_ms -> BigInt,
    }
}

diesel::table! {
    duplicate_hashes (content_hash) {
        content_hash -> BigInt,
        files -> BigInt,
    }
}

diesel::table! {
    duplicate_members (file_id) {
        file_id -> BigInt,
        content_hash -> BigInt,
        root_id -> BigInt,
        rel_path -> Text,
        first_seen_ms -> BigInt,
    }
}

diesel::table! {
    analyses (content_hash) {
        content_hash -> BigInt,
        version -> Integer,
        analyzed_ms -> BigInt,
        error -> Nullable<Text>,
        method -> Nullable<Text>,
        full_width -> Nullable<Integer>,
        full_height -> Nullable<Integer>,
        measurements -> Nullable<Text>,
        brisque -> Nullable<Double>,
        jpeg_quality -> Nullable<Integer>,
        phash -> Nullable<BigInt>,
        phash_turns -> Nullable<Text>,
        score_version -> Integer,
        score -> Nullable<Double>,
        s_sharpness -> Nullable<Double>,
        s_exposure -> Nullable<Double>,
        s_noise -> Nullable<Double>,
        s_brisque -> Nullable<Double>,
        s_composition -> Nullable<Double>,
        s_compression -> Nullable<Double>,
        s_eyes -> Nullable<Double>,
        s_taste -> Nullable<Double>,
        taste_weight -> Nullable<Double>,
        taste_why -> Nullable<Text>,
        taste_model -> BigInt,
    }
}
diesel::table! {
    photo_groups (id) {
        id -> BigInt,
        kind -> Text,
        best_file_id -> BigInt,
        size -> Integer,
        why -> Text,
    }
}
diesel::table! {
    photo_group_members (file_id) {
        file_id -> BigInt,
        group_id -> BigInt,
        member_rank -> Integer,
    }
}
diesel::table! {
    analysis_state (id) {
        id -> BigInt,
        groups_signature -> Text,
        computed_ms -> BigInt,
    }
}
diesel::table! {
    decisions (capture_id) {
        capture_id -> BigInt,
        flag -> Nullable<SmallInt>,
        rating -> Nullable<SmallInt>,
        label -> Nullable<Text>,
        updated_ms -> BigInt,
    }
}
diesel::table! {
    detection_runs (content_hash, model) {
        content_hash -> BigInt,
        model -> Text,
        version -> Integer,
        detected_ms -> BigInt,
        error -> Nullable<Text>,
        objects -> Integer,
        subject -> Nullable<Text>,
        look -> Nullable<Binary>,
    }
}
diesel::table! {
    detections (id) {
        id -> BigInt,
        content_hash -> BigInt,
        model -> Text,
        class_id -> Integer,
        class_name -> Text,
        confidence -> Double,
        box_x -> Double,
        box_y -> Double,
        box_w -> Double,
        box_h -> Double,
    }
}
diesel::table! {
    face_runs (content_hash, model) {
        content_hash -> BigInt,
        model -> Text,
        version -> Integer,
        detected_ms -> BigInt,
        error -> Nullable<Text>,
        faces -> Integer,
        width -> Integer,
        height -> Integer,
        counted -> Nullable<Integer>,
        eyes_open -> Nullable<Integer>,
        eyes_closed -> Nullable<Integer>,
    }
}
diesel::table! {
    faces (id) {
        id -> BigInt,
        content_hash -> BigInt,
        model -> Text,
        confidence -> Double,
        box_x -> Double,
        box_y -> Double,
        box_w -> Double,
        box_h -> Double,
        keypoints -> Text,
        sharpness -> Nullable<Double>,
        exposure -> Nullable<Double>,
        eye_left -> Nullable<Double>,
        eye_right -> Nullable<Double>,
        eyes -> Text,
        embedding -> Nullable<Binary>,
        blink_left -> Nullable<Double>,
        blink_right -> Nullable<Double>,
    }
}
diesel::table! {
    people (id) {
        id -> BigInt,
        name -> Nullable<Text>,
        kind -> Text,
        birthday -> Nullable<Text>,
        cover_face -> Nullable<BigInt>,
        created_ms -> BigInt,
    }
}
diesel::table! {
    face_people (id) {
        id -> BigInt,
        face_id -> BigInt,
        person_id -> Nullable<BigInt>,
        source -> Text,
        distance -> Nullable<Double>,
        created_ms -> BigInt,
    }
}
diesel::table! {
    work_queue (id) {
        id -> BigInt,
        stage -> Text,
        content_hash -> BigInt,
        claimed_by -> Nullable<Text>,
        lease_until -> BigInt,
        attempts -> Integer,
    }
}

diesel::table! {
    workers (id) {
        id -> Text,
        machine -> Text,
        jobs -> Text,
        started_ms -> BigInt,
        heartbeat_ms -> BigInt,
        lease_ms -> BigInt,
        state -> Text,
        stage -> Nullable<Text>,
        done -> BigInt,
        failed -> BigInt,
        lost -> BigInt,
    }
}

diesel::joinable!(root_locations -> roots (root_id));
diesel::joinable!(decisions -> captures (capture_id));
diesel::table! {
    taste_models (id) {
        id -> BigInt,
        created_ms -> BigInt,
        kind -> Text,
        features_version -> Integer,
        fingerprint -> BigInt,
        decisions -> Integer,
        positives -> Integer,
        negatives -> Integer,
        folds -> Integer,
        auc -> Nullable<Double>,
        auc_low -> Nullable<Double>,
        accuracy -> Nullable<Double>,
        brier -> Nullable<Double>,
        ece -> Nullable<Double>,
        weight -> Double,
        reason -> Text,
        learned -> Text,
        report -> Text,
        model -> Nullable<Binary>,
    }
}
diesel::table! {
    settings (name) {
        name -> Text,
        value -> Text,
    }
}

diesel::joinable!(files -> analyses (content_hash));
diesel::joinable!(photo_group_members -> photo_groups (group_id));
diesel::joinable!(files -> roots (root_id));
diesel::joinable!(files -> captures (capture_id));
diesel::joinable!(content_history -> files (file_id));
diesel::joinable!(scan_problems -> scans (scan_id));
diesel::joinable!(capture_keywords -> captures (capture_id));
diesel::joinable!(taxonomy_nodes -> taxonomies (taxonomy_id));
diesel::joinable!(capture_taxa -> captures (capture_id));
diesel::joinable!(capture_taxa -> taxonomy_nodes (node_id));
diesel::joinable!(face_people -> faces (face_id));

diesel::allow_tables_to_appear_in_same_query!(
    taste_models,
    settings,
    roots,
    sidecars,
    detection_runs,
    detections,
    face_runs,
    faces,
    people,
    face_people,
    decisions,
    root_locations,
    captures,
    files,
    file_relations,
    content_history,
    scans,
    scan_problems,
    capture_keywords,
    taxonomies,
    taxonomy_nodes,
    capture_taxa,
    catalog_stats,
    duplicate_hashes,
    duplicate_members,
    analyses,
    photo_groups,
    photo_group_members,
    analysis_state,
    job_marks,
    saved_searches,
    events,
    capture_events,
    calendars,
    calendar_slots,
    calendar_suggestions,
    work_queue,
    workers,
);
