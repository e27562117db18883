{#- Incremental models keyed by deal: what changed since their last build.

    The landing stamps every row it writes with _loaded_at (upserts rewrite it, a
    delete flags the row and restamps it: connectors/landing.py), so the deals to
    rebuild are those with any input row stamped after the model's watermark.
    trustgap_build.incremental_models keeps, per model, that watermark (the newest
    _loaded_at the last build read), a fingerprint of everything else the model's
    rows depend on, and when it was last rebuilt in full. The row is written by the
    model's post-hook, in the transaction that writes the model's rows, so a
    failed build never advances it. The schema is not one the publish copies: the
    state belongs with the raw copy in the working file.

    A build is a full rebuild (every row deleted and recomputed) when dbt runs with
    --full-refresh, when the model has no recorded build, when the fingerprint
    changed (the SQL of the model or of any model upstream of it, the org time
    zone, the content of a reference table such as stages, owners or currency
    rates), or when an input table was replaced (a full-refresh landing: its oldest
    row is newer than the watermark, and a replaced table may have lost rows no
    watermark can point at).

    Only where the model is materialized 'incremental' (incremental_materialization():
    DuckDB). On Spark the same models are plain tables and the hooks write nothing. -#}

{% macro incremental_state_relation() -%}
    trustgap_build.incremental_models
{%- endmacro %}


{% macro incremental_enabled() -%}
    {{ return(execute and model.config.materialized == 'incremental') }}
{%- endmacro %}


{#- Created by the project's on-run-start hook (dbt_project.yml), once per invocation. -#}
{% macro create_incremental_state() -%}
    create schema if not exists trustgap_build;
    create table if not exists {{ incremental_state_relation() }} (
        model string,
        watermark {{ type_timestamptz() }},
        fingerprint string,
        built_at {{ type_timestamptz() }},
        full_built_at {{ type_timestamptz() }}
    );
    -- the as-of date of the last build (as-of models: macros/incremental_as_of.sql)
    alter table {{ incremental_state_relation() }} add column if not exists as_of date;
{%- endmacro %}


{#- The SQL checksums of the model and of every model upstream of it: a change to
    any of them (a new column, a fixed parsing rule) changes rows of every deal. -#}
{% macro incremental_upstream_checksums() -%}
    {%- set seen = [] -%}
    {%- set pending = [model.unique_id] -%}
    {%- set parts = [] -%}
    {#- Jinja has no while loop: a breadth-first walk bounded by the project's size -#}
    {%- for _ in range(graph.nodes | length) if pending -%}
        {%- set node_id = pending.pop(0) -%}
        {%- if node_id not in seen and node_id in graph.nodes -%}
            {%- do seen.append(node_id) -%}
            {%- set node = graph.nodes[node_id] -%}
            {%- do parts.append(node_id ~ '=' ~ node.checksum.checksum) -%}
            {#- each node queued once, so len(graph.nodes) steps always finish the walk -#}
            {%- for parent in node.depends_on.nodes
                if parent not in seen and parent not in pending -%}
                {%- do pending.append(parent) -%}
            {%- endfor -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(parts | sort | join(',')) }}
{%- endmacro %}


{#- One string that changes when anything but the keyed inputs' rows would change
    the model's rows: its SQL and its upstream models', the zone its dates are
    taken in, and the content of each reference relation (row count and an
    order-free sum of row hashes, _loaded_at left out where there is one: replace-mode
    tables are restamped every run). DuckDB's COLUMNS(): incremental models are
    DuckDB's only (incremental_materialization()). -#}
{% macro incremental_fingerprint(references, extra=[]) -%}
    {%- set parts = [incremental_upstream_checksums(), org_timezone()] + extra -%}
    {%- for relation in references -%}
        {%- set content = run_query(
            "select count(*) as n, cast(coalesce(sum(cast(hash(r) as hugeint)), 0) as string) as h "
            ~ "from (select columns(lambda c: c <> '_loaded_at') from " ~ relation ~ ") as r"
        ) -%}
        {%- do parts.append(relation ~ '=' ~ content.columns[0].values()[0] ~ ':'
            ~ content.columns[1].values()[0]) -%}
    {%- endfor -%}
    {{ return(local_md5(parts | join('|'))) }}
{%- endmacro %}


{#- {full: bool, watermark: timestamp or none, reason: text} for this build of the
    calling model. `inputs` are (relation, deal id column) pairs with _loaded_at;
    `references` are relations fingerprinted whole. -#}
{#- Worked out once per build of the model: its SQL, its pre-hook and its post-hook
    each ask, and the answer cannot change between them (only the post-hook writes
    the state, after asking). Three times over, the fingerprint and input checks
    made the incremental build of a quiet night slower than a full one at S. dbt
    hands every node of an invocation the same `graph` dict, which keeps it. -#}
{% macro incremental_scope(inputs, references, as_of_events=none, extra=[]) -%}
    {%- set memo = graph.setdefault('trustgap_incremental_scopes', {}) -%}
    {%- set key = invocation_id ~ ':' ~ model.unique_id -%}
    {%- if key not in memo -%}
        {%- set scope = incremental_scope_now(inputs, references, extra) -%}
        {%- if as_of_events is not none and not scope.full -%}
            {%- set scope = as_of_window_scope(scope) -%}
        {%- endif -%}
        {{ log(model.name ~ ' build scope: ' ~ scope.reason, info=true) }}
        {%- do memo.update({key: scope}) -%}
    {%- endif -%}
    {{ return(memo[key]) }}
{%- endmacro %}


{% macro incremental_scope_now(inputs, references, extra=[]) -%}
    {%- if not incremental_enabled() -%}
        {{ return({'full': true, 'watermark': none, 'reason': 'not incremental here'}) }}
    {%- endif -%}
    {%- if should_full_refresh() -%}
        {{ return({'full': true, 'watermark': none, 'reason': '--full-refresh'}) }}
    {%- endif -%}
    {%- set state = run_query(
        "select watermark, fingerprint from " ~ incremental_state_relation()
        ~ " where model = '" ~ model.name ~ "'"
    ) -%}
    {%- if state.rows | length == 0 -%}
        {{ return({'full': true, 'watermark': none, 'reason': 'no recorded build'}) }}
    {%- endif -%}
    {%- set watermark = state.rows[0][0] -%}
    {%- if state.rows[0][1] != incremental_fingerprint(references, extra) -%}
        {{ return({'full': true, 'watermark': none, 'reason': 'fingerprint changed'}) }}
    {%- endif -%}
    {%- for relation, _ in inputs -%}
        {%- set oldest = run_query(
            "select min(_loaded_at) > " ~ incremental_timestamp(watermark) ~ " from " ~ relation
        ) -%}
        {%- if oldest.rows[0][0] -%}
            {{ return({'full': true, 'watermark': none, 'reason': relation ~ ' was replaced'}) }}
        {%- endif -%}
    {%- endfor -%}
    {{ return({'full': false, 'watermark': watermark, 'reason': 'incremental'}) }}
{%- endmacro %}


{% macro incremental_timestamp(value) -%}
    {%- if value is none -%}
        {{ timestamp_min() }}
    {%- else -%}
        cast('{{ value.isoformat() }}' as {{ type_timestamptz() }})
    {%- endif -%}
{%- endmacro %}


{#- The keys `query` returns (one column), for `column in (...)`: a list of literals
    ('a', 'b'), or `null` when there are none. The query runs once per build of
    the model (its SQL and hooks all ask), before any of them runs.

    Why literals: a semi-join on the subquery is planned above the views it filters,
    so every raw row went through staging first (int_activities_screened's build
    on a day of changes at L: 1.2 s, of which 0.9 s parsing 6M activities to keep
    6,000). A constant list is pushed down to the raw tables' scans (0.4 s). Each
    literal costs DuckDB ~13 us to parse, so over TRUSTGAP_INCREMENTAL_KEY_LIMIT keys
    (default 20,000: a mass update) the subquery is the cheaper plan and is
    returned as it is.

    `either`: for one side of an OR, where DuckDB tests a row against each literal
    in turn (deleting 600 deals' or 2,300 activities' actions from 9.6M rows took
    33 s): the literals as a one-column subquery, which it hashes. -#}
{% macro incremental_key_list(name, query, either=false) -%}
    {%- set memo = graph.setdefault('trustgap_incremental_keys', {}) -%}
    {%- set key = invocation_id ~ ':' ~ model.unique_id ~ ':' ~ name -%}
    {%- if key not in memo -%}
        {%- set listed = run_query(
            "select count(*), string_agg('''' || replace(changed_key, '''', '''''') || '''', ', ') "
            ~ "from (select distinct cast(changed_key as string) as changed_key "
            ~ "from (" ~ query ~ ") as changed(changed_key)) as keys "
            ~ "where changed_key is not null"
        ).rows[0] -%}
        {%- if listed[0] > env_var('TRUSTGAP_INCREMENTAL_KEY_LIMIT', '20000') | int -%}
            {%- do memo.update({key: {'sql': query, 'literals': false}}) -%}
        {%- else -%}
            {%- do memo.update({key: {'sql': listed[1] or 'null', 'literals': true}}) -%}
        {%- endif -%}
        {{ log(model.name ~ ' ' ~ name ~ ' to rebuild: ' ~ listed[0]
            ~ ('' if memo[key].literals else ', read as a subquery'), info=true) }}
    {%- endif -%}
    {%- set keys = memo[key] -%}
    {{ return('select unnest([' ~ keys.sql ~ '])' if either and keys.literals else keys.sql) }}
{%- endmacro %}


{#- The deals with an input row landed since the build `scope` describes, for
    `deal_id in (...)` (incremental_key_list). -#}
{% macro incremental_changed_deals(inputs, scope) -%}
    {{ return(incremental_key_list(
        'deals', incremental_changed_deal_ids(inputs, scope.watermark)
    )) }}
{%- endmacro %}


{#- The deal ids with an input row stamped after `watermark` (a query). -#}
{% macro incremental_changed_deal_ids(inputs, watermark) -%}
    {%- for relation, column in inputs %}
    select {{ column }} as deal_id from {{ relation }}
    where _loaded_at > {{ incremental_timestamp(watermark) }}
    {% if not loop.last %}union{% endif %}
    {%- endfor %}
{%- endmacro %}


{#- The model's filter on an incremental build: only the changed deals' rows (the
    pre-hook deleted their old ones). Empty on a full build. -#}
{% macro incremental_deal_filter(key, inputs, references) -%}
    {%- if is_incremental() -%}
        {%- set scope = incremental_scope(inputs, references) -%}
        {%- if not scope.full %}
where {{ key }} in ({{ incremental_changed_deals(inputs, scope) }})
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}


{#- Pre-hook: drop the rows the build recomputes (all on a full rebuild through the
    incremental path), deals that lost every row included: delete+insert alone
    only replaces the deals the new rows name. -#}
{% macro incremental_delete_changed(key, inputs, references) -%}
    {%- if incremental_enabled() and is_incremental() -%}
        {%- set scope = incremental_scope(inputs, references) -%}
        delete from {{ this }}
        {%- if not scope.full %}
        where {{ key }} in ({{ incremental_changed_deals(inputs, scope) }})
        {%- endif %}
    {%- endif -%}
{%- endmacro %}


{#- Post-hook: record the build (same transaction as its rows). The watermark is
    the newest _loaded_at of the inputs, all of which this build has now read; an
    incremental build keeps the time of the last full one. -#}
{% macro incremental_record_build(inputs, references, as_of_events=none, extra=[]) -%}
    {%- if incremental_enabled() -%}
        {%- set scope = incremental_scope(inputs, references, as_of_events, extra) -%}
        {%- set built_at -%}
            cast('{{ run_started_at.isoformat() }}' as {{ type_timestamptz() }})
        {%- endset -%}
        {%- set watermark -%}
            coalesce((
                select max(loaded_at) from (
                    {%- for relation, _ in inputs %}
                    select max(_loaded_at) as loaded_at from {{ relation }}
                    {% if not loop.last %}union all{% endif %}
                    {%- endfor %}
                ) as input_loads
            ), {{ timestamp_min() }})
        {%- endset -%}
        {% if scope.full -%}
        delete from {{ incremental_state_relation() }} where model = '{{ model.name }}';
        insert into {{ incremental_state_relation() }}
            (model, watermark, fingerprint, built_at, full_built_at, as_of)
        select '{{ model.name }}', {{ watermark }},
            '{{ incremental_fingerprint(references, extra) }}', {{ built_at }}, {{ built_at }},
            {{ as_of_date() }};
        {%- else -%}
        update {{ incremental_state_relation() }}
        set watermark = {{ watermark }}, built_at = {{ built_at }}, as_of = {{ as_of_date() }}
        where model = '{{ model.name }}';
        {%- endif %}
    {%- endif -%}
{%- endmacro %}
