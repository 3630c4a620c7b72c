DROP TABLE analysis_state;
DROP TABLE photo_group_members;
DROP TABLE photo_groups;
DROP TABLE analyses;
