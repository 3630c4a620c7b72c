DROP TABLE workers;
DROP TABLE work_queue;
