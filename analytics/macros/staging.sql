{#-
  Staging helpers. dlt creates a column only once a non-null value arrives and a table only once
  a row arrives, so a small or young workspace may lack some of them. `stage` selects a fixed,
  typed column list from a loaded table: a column the loader has not created yet becomes a typed
  NULL and a table not created yet yields no rows. Models downstream always see the same shape.
-#}

{% macro intercom_type(kind) -%}
  {%- if kind == 'string' -%}{{ dbt.type_string() }}
  {%- elif kind == 'bigint' -%}{{ dbt.type_bigint() }}
  {%- elif kind == 'float' -%}{{ intercom_sync.type_double() }}
  {%- elif kind == 'bool' -%}{{ dbt.type_boolean() }}
  {%- elif kind == 'timestamp' -%}{{ intercom_sync.type_timestamptz() }}
  {%- else -%}{{ exceptions.raise_compiler_error("unknown column kind " ~ kind) }}
  {%- endif -%}
{%- endmacro %}

{% macro type_timestamptz() -%}
  {{ return(adapter.dispatch('type_timestamptz', 'intercom_sync')()) }}
{%- endmacro %}

{% macro default__type_timestamptz() -%}timestamp with time zone{%- endmacro %}

{% macro loaded_columns(relation) -%}
  {#- lower-cased names of the columns `relation` has; none if the table does not exist -#}
  {%- set names = [] -%}
  {%- if execute -%}
    {%- set found = adapter.get_relation(
          database=relation.database, schema=relation.schema, identifier=relation.identifier) -%}
    {%- if found is not none -%}
      {%- for column in adapter.get_columns_in_relation(found) -%}
        {%- do names.append(column.name | lower) -%}
      {%- endfor -%}
    {%- endif -%}
  {%- endif -%}
  {{ return(names) }}
{%- endmacro %}

{% macro stage(table_name, columns) -%}
  {#- columns: list of [loaded column, output name, kind] -#}
  {{ return(intercom_sync.stage_relation(source('intercom', table_name), columns)) }}
{%- endmacro %}

{% macro stage_relation(relation, columns) -%}
  {#- `stage` of any relation (also one not declared as a source, e.g. a history table) -#}
  {%- set present = intercom_sync.loaded_columns(relation) -%}
  select
  {%- for loaded_name, output_name, kind in columns %}
    {% if loaded_name | lower in present -%}
      cast({{ adapter.quote(loaded_name) }} as {{ intercom_sync.intercom_type(kind) }})
    {%- else -%}
      cast(null as {{ intercom_sync.intercom_type(kind) }})
    {%- endif %} as {{ adapter.quote(output_name) }}{{ "," if not loop.last }}
  {%- endfor %}
  {% if present or not execute -%}
  from {{ relation }}
  {%- else -%}
  where 1 = 0  {#- the loader has not created this table yet -#}
  {%- endif %}
{%- endmacro %}
