{#-
  The Fivetran-shaped views (models/fivetran): every record version with Fivetran's history
  columns, the way Fivetran's Intercom connector writes its `*_history` tables.

  With history mode (`<table>_history` loaded next to `<table>`, nested lists as
  `<table>_history__<list>` linked by `_dlt_parent_id` to the version's `_dlt_id`): every
  version; `_fivetran_active` = `_valid_to is null`; `_fivetran_start` = `_valid_from`;
  `_fivetran_end` = the next version's start minus 1 ms, the retirement time of a deleted
  record's last version, and 9999-12-31 23:59:59.999 for the current one (Fivetran's rules).
  Without it: each live record's current version is its only, active version, starting at its
  `updated_at` (else `created_at`); deleted and merged-away records (`_deleted_at`) are left out.

  Timestamps are UTC timestamps without a zone, as Fivetran writes them.
-#}

{% macro fivetran_history_relation(table_name) -%}
  {#- the history table `table_name` (e.g. `contacts_history`, `contacts_history__tags`) in
      the loaded dataset; none when history mode has not created it -#}
  {%- if not execute -%}{{ return(none) }}{%- endif -%}
  {%- set loaded = source('intercom', 'conversations') -%}
  {{ return(adapter.get_relation(
        database=loaded.database, schema=loaded.schema, identifier=table_name)) }}
{%- endmacro %}

{% macro fivetran_utc(expression) -%}
  ({{ expression }} at time zone 'UTC')
{%- endmacro %}

{% macro fivetran_end_of_time() -%}
  cast('9999-12-31 23:59:59.999' as {{ dbt.type_timestamp() }})
{%- endmacro %}

{% macro fivetran_columns(columns, prefix) -%}
  {#- the staged columns under their Fivetran names, timestamps as UTC without a zone -#}
  {%- for _loaded, name, kind in columns %}
    {% if kind == 'timestamp' -%}
      {{ intercom_sync.fivetran_utc(prefix ~ '.' ~ adapter.quote(name)) }}
    {%- else -%}
      {{ prefix }}.{{ adapter.quote(name) }}
    {%- endif %} as {{ adapter.quote(name) }},
  {%- endfor %}
{%- endmacro %}

{% macro fivetran_versions(table_name, columns, key='id', start='updated_at') -%}
  {#- A query over `table_name`'s versions: the staged `columns` plus `_dlt_id`,
      `_fivetran_synced`, `_fivetran_active`, `_fivetran_start`, `_fivetran_end`. -#}
  {%- set history = intercom_sync.fivetran_history_relation(table_name ~ '_history') -%}
  {%- set bookkeeping = [['_dlt_id', '_dlt_id', 'string'], ['_dlt_load_id', '_dlt_load_id', 'string']] -%}
  {%- set starts = ['staged.' ~ start] -%}
  {%- if start != 'created_at' and 'created_at' in columns | map(attribute=1) | list -%}
    {%- do starts.append('staged.created_at') -%}  {#- a record never updated -#}
  {%- endif -%}
  {%- if history is none %}
    select
        staged.*,
        {{ intercom_sync.fivetran_synced('staged._dlt_load_id') }} as _fivetran_synced,
        true as _fivetran_active,
        {{ intercom_sync.fivetran_utc('coalesce(' ~ starts | join(', ') ~ ')') }} as _fivetran_start,
        {{ intercom_sync.fivetran_end_of_time() }} as _fivetran_end
    from (
        {{ intercom_sync.stage(table_name, columns + bookkeeping + [['_deleted_at', '_deleted_at', 'timestamp']]) }}
    ) as staged
    where staged._deleted_at is null
  {%- else %}
    select
        staged.*,
        {{ intercom_sync.fivetran_synced('staged._dlt_load_id') }} as _fivetran_synced,
        staged._valid_to is null as _fivetran_active,
        {{ intercom_sync.fivetran_utc('staged._valid_from') }} as _fivetran_start,
        case
            when staged._valid_to is null then {{ intercom_sync.fivetran_end_of_time() }}
            -- superseded: the next version starts where this one ends
            when lead(staged._valid_from) over (
                partition by staged.{{ key }} order by staged._valid_from
            ) = staged._valid_to
                then {{ intercom_sync.fivetran_utc('staged._valid_to') }} - interval '1 millisecond'
            -- retired without a successor: deleted at _valid_to
            else {{ intercom_sync.fivetran_utc('staged._valid_to') }}
        end as _fivetran_end
    from (
        {{ intercom_sync.stage_relation(history, columns + bookkeeping + [
            ['_valid_from', '_valid_from', 'timestamp'], ['_valid_to', '_valid_to', 'timestamp']]) }}
    ) as staged
  {%- endif %}
{%- endmacro %}

{% macro fivetran_entity(table_name, columns, key='id', start='updated_at') -%}
  {#- a Fivetran `*_history` table of a root table (contacts, companies, conversations, …) -#}
  with versions as (
      {{ intercom_sync.fivetran_versions(table_name, columns, key, start) }}
  )
  select
      {{ intercom_sync.fivetran_columns(columns, 'versions') }}
      versions._fivetran_synced,
      versions._fivetran_active,
      versions._fivetran_start,
      versions._fivetran_end
  from versions
{%- endmacro %}

{% macro fivetran_link(parent_table, list_name, parent_id, link_columns) -%}
  {#- A Fivetran link history table (e.g. `contact_tag_history`): the list `list_name` of each
      version of `parent_table`, with the version's `<parent>_updated_at` and validity.
      parent_id: the Fivetran name of the parent's id in the link (e.g. `contact_id`). -#}
  {%- set parent_name = parent_id[:-3] -%}
  {%- set history = intercom_sync.fivetran_history_relation(parent_table ~ '_history__' ~ list_name) -%}
  {%- set links = [['_dlt_parent_id', '_dlt_parent_id', 'string']] + link_columns -%}
  with versions as (
      {{ intercom_sync.fivetran_versions(parent_table, [
          ['id', 'id', 'string'],
          ['created_at', 'created_at', 'timestamp'],
          ['updated_at', 'updated_at', 'timestamp'],
      ]) }}
  ),

  links as (
      {%- if history is none %}
      {{ intercom_sync.stage(parent_table ~ '__' ~ list_name, links) }}
      {%- else %}
      {{ intercom_sync.stage_relation(history, links) }}
      {%- endif %}
  )

  select
      {{ intercom_sync.fivetran_columns(link_columns, 'links') }}
      {{ intercom_sync.fivetran_utc('versions.updated_at') }} as {{ parent_name }}_updated_at,
      versions._fivetran_synced,
      versions._fivetran_active,
      versions._fivetran_start,
      versions._fivetran_end
  from links
  inner join versions on versions._dlt_id = links._dlt_parent_id
{%- endmacro %}

{% macro fivetran_lookup(table_name, columns) -%}
  {#- a Fivetran table without history (admin, team, tag): `_fivetran_deleted` and
      `_fivetran_synced`. Lookups are replaced whole each sync: what is loaded is live. -#}
  with loaded as (
      {{ intercom_sync.stage(table_name, columns + [['_dlt_load_id', '_dlt_load_id', 'string']]) }}
  )
  select
      {{ intercom_sync.fivetran_columns(columns, 'loaded') }}
      false as _fivetran_deleted,
      {{ intercom_sync.fivetran_synced('loaded._dlt_load_id') }} as _fivetran_synced
  from loaded
{%- endmacro %}

{% macro fivetran_synced(load_id) -%}
  {#- when the row was loaded: dlt's load id is the load's Unix time -#}
  {{ intercom_sync.fivetran_utc('to_timestamp(cast(' ~ load_id ~ ' as ' ~ intercom_sync.type_double() ~ '))') }}
{%- endmacro %}
