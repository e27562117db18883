"""The engines dbt builds the marts on, beyond the embedded DuckDB default (issue #16).

DuckDB stays the default and needs nothing here. With TRUSTGAP_ENGINE=spark the
landing is unchanged (DuckDB keeps cursors and upserts); then `lake` writes the raw
tables to the lake as Parquet, `spark_job` registers them as Spark tables, dbt builds
into build_* schemas, the marts are read back through Spark for the checks, and
`spark_job publish` swaps the published views to the new versions.
"""
