package io.pgroute.proxy.sql;

import java.util.HashMap;
import java.util.Map;

/**
 * Volatility of common PostgreSQL functions (and of SQL constructs that JSqlParser reports as functions,
 * such as {@code coalesce} or {@code current_timestamp}), for when {@code pg_proc} cannot be read, and as the
 * fallback for names {@code pg_proc} does not know. Values are those of PostgreSQL 15–17, most volatile
 * overload. A function not listed is {@link Volatility#UNKNOWN}, which routes to the primary.
 */
public final class BuiltinFunctions implements FunctionCatalog {
    /** SQL syntax that JSqlParser shows as a function call; none is in pg_proc under that name. */
    private static final String SYNTAX = "coalesce nullif greatest least grouping row array exists any some all "
            + "xmlelement xmlforest xmlconcat xmlparse xmlpi xmlroot xmlserialize xmlexists xmlagg "
            + "json_object json_array json_objectagg json_arrayagg json_scalar json_serialize json_exists "
            + "json_value json_query json_table cast treat collation";

    private static final String IMMUTABLE = "lower upper initcap length char_length character_length octet_length "
            + "bit_length substring substr replace btrim ltrim rtrim trim md5 sha224 sha256 sha384 sha512 encode "
            + "decode split_part strpos position left right lpad rpad repeat reverse translate ascii chr "
            + "regexp_replace regexp_match regexp_matches regexp_split_to_array regexp_split_to_table regexp_like "
            + "regexp_count regexp_instr regexp_substr starts_with string_to_array string_to_table quote_ident "
            + "abs round ceil ceiling floor trunc mod power pow sqrt cbrt exp ln log log10 sign pi degrees radians "
            + "sin cos tan asin acos atan atan2 div gcd lcm width_bucket scale trim_scale min_scale factorial "
            + "count sum avg min max array_agg string_agg json_agg jsonb_agg jsonb_object_agg bool_and bool_or "
            + "every bit_and bit_or stddev stddev_pop stddev_samp variance var_pop var_samp corr covar_pop "
            + "covar_samp percentile_cont percentile_disc mode range_agg "
            + "row_number rank dense_rank percent_rank cume_dist ntile lag lead first_value last_value nth_value "
            + "array_length array_upper array_lower array_dims cardinality array_position array_positions "
            + "array_remove array_replace array_append array_prepend array_cat unnest generate_subscripts "
            + "generate_series jsonb_build_object jsonb_build_array jsonb_array_length jsonb_typeof jsonb_extract_path "
            + "jsonb_extract_path_text jsonb_set jsonb_insert jsonb_strip_nulls jsonb_pretty jsonb_each "
            + "jsonb_each_text jsonb_array_elements jsonb_array_elements_text jsonb_object_keys json_array_length "
            + "json_typeof json_extract_path json_extract_path_text json_each json_each_text json_array_elements "
            + "json_array_elements_text json_object_keys jsonb_path_exists jsonb_path_query jsonb_path_match "
            + "isfinite int4 int8 numeric float8 text bool uuid_nil hashtext hashtextextended num_nulls "
            + "num_nonnulls make_date make_time make_interval justify_days justify_hours justify_interval "
            + "host hostmask netmask network masklen inet_merge family broadcast abbrev set_masklen";

    private static final String STABLE = "now current_timestamp current_date current_time localtime localtimestamp "
            + "transaction_timestamp statement_timestamp date_part date_trunc extract age to_char to_date "
            + "to_timestamp to_number concat concat_ws format quote_literal quote_nullable array_to_string "
            + "to_json to_jsonb row_to_json array_to_json json_build_object json_build_array json_object_agg "
            + "jsonb_path_query_array jsonb_path_query_first current_database current_schema current_schemas "
            + "current_user current_role session_user user current_catalog pg_typeof format_type "
            + "to_regclass to_regproc to_regprocedure to_regtype to_regnamespace to_regrole obj_description "
            + "col_description shobj_description pg_get_viewdef pg_get_indexdef pg_get_constraintdef "
            + "pg_get_functiondef pg_get_expr pg_get_userbyid pg_get_serial_sequence pg_table_is_visible "
            + "pg_function_is_visible pg_type_is_visible has_table_privilege has_schema_privilege "
            + "has_database_privilege has_column_privilege has_function_privilege has_sequence_privilege "
            + "pg_has_role pg_encoding_to_char pg_client_encoding txid_current_snapshot pg_current_snapshot "
            + "txid_current_if_assigned pg_current_xact_id_if_assigned pg_size_pretty pg_get_keywords "
            + "string_agg_transfn date_bin timezone array_fill";

    private static final String VOLATILE = "nextval setval currval lastval random random_normal setseed "
            + "gen_random_uuid clock_timestamp timeofday pg_sleep pg_notify set_config pg_advisory_lock "
            + "pg_advisory_unlock pg_try_advisory_lock pg_advisory_xact_lock pg_try_advisory_xact_lock lo_create "
            + "lo_import lo_export lo_unlink pg_logical_emit_message pg_is_in_recovery inet_server_port "
            + "inet_server_addr inet_client_port inet_client_addr version pg_last_wal_replay_lsn "
            + "pg_last_wal_receive_lsn pg_last_xact_replay_timestamp pg_backend_pid pg_current_wal_lsn "
            + "pg_relation_size pg_total_relation_size pg_table_size pg_indexes_size pg_database_size "
            + "pg_postmaster_start_time pg_conf_load_time pg_export_snapshot";

    private static final String STABLE_BUT_WRITING = "txid_current pg_current_xact_id current_setting";

    private final Map<String, Volatility> known = new HashMap<>();

    /** Built-in knowledge only. */
    public BuiltinFunctions() {
        register(SYNTAX, Volatility.IMMUTABLE);
        register(IMMUTABLE, Volatility.IMMUTABLE);
        register(STABLE, Volatility.STABLE);
        register(STABLE_BUT_WRITING, Volatility.STABLE);
        register(VOLATILE, Volatility.VOLATILE);
    }

    private void register(String names, Volatility volatility) {
        for (String each : names.split(" ")) {
            known.put(each, volatility);
        }
    }

    @Override
    public Volatility volatility(String normalizedName) {
        if (!Names.isCatalogOrUnqualified(normalizedName)) {
            return Volatility.UNKNOWN;
        }
        return known.getOrDefault(normalizedName, Volatility.UNKNOWN);
    }
}
