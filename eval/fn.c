/* fn: the dispatch table of PromQL functions and helpers shared by the families. */
#include "eval/fn.h"

const fn_impl fn_table[FN__COUNT] = {
    [FN_ABS] = fn_math, [FN_CEIL] = fn_math, [FN_FLOOR] = fn_math, [FN_EXP] = fn_math,
    [FN_SQRT] = fn_math, [FN_LN] = fn_math, [FN_LOG2] = fn_math, [FN_LOG10] = fn_math,
    [FN_SIN] = fn_math, [FN_COS] = fn_math, [FN_TAN] = fn_math, [FN_ASIN] = fn_math,
    [FN_ACOS] = fn_math, [FN_ATAN] = fn_math, [FN_SINH] = fn_math, [FN_COSH] = fn_math,
    [FN_TANH] = fn_math, [FN_ASINH] = fn_math, [FN_ACOSH] = fn_math, [FN_ATANH] = fn_math,
    [FN_RAD] = fn_math, [FN_DEG] = fn_math, [FN_SGN] = fn_math,
    [FN_CLAMP] = fn_clamp, [FN_CLAMP_MIN] = fn_clamp_min, [FN_CLAMP_MAX] = fn_clamp_max,
    [FN_ROUND] = fn_round, [FN_PI] = fn_pi, [FN_SCALAR] = fn_scalar, [FN_VECTOR] = fn_vector,
    [FN_ABSENT] = fn_absent, [FN_TIMESTAMP] = fn_timestamp,
    [FN_TIME] = fn_time, [FN_DAYS_IN_MONTH] = fn_date, [FN_DAY_OF_MONTH] = fn_date,
    [FN_DAY_OF_WEEK] = fn_date, [FN_DAY_OF_YEAR] = fn_date, [FN_HOUR] = fn_date,
    [FN_MINUTE] = fn_date, [FN_MONTH] = fn_date, [FN_YEAR] = fn_date,
    [FN_RATE] = fn_nhist_rate_family, [FN_INCREASE] = fn_nhist_rate_family,
    [FN_DELTA] = fn_nhist_rate_family, [FN_IRATE] = fn_nhist_rate_family,
    [FN_IDELTA] = fn_nhist_rate_family, [FN_DERIV] = fn_deriv,
    [FN_PREDICT_LINEAR] = fn_predict_linear, [FN_RESETS] = fn_nhist_rate_family,
    [FN_CHANGES] = fn_nhist_rate_family,
    [FN_DOUBLE_EXPONENTIAL_SMOOTHING] = fn_double_exponential_smoothing,
    [FN_AVG_OVER_TIME] = fn_nhist_sum_avg_over_time,
    [FN_SUM_OVER_TIME] = fn_nhist_sum_avg_over_time,
    [FN_COUNT_OVER_TIME] = fn_count_over_time, [FN_MIN_OVER_TIME] = fn_min_over_time,
    [FN_MAX_OVER_TIME] = fn_max_over_time, [FN_LAST_OVER_TIME] = fn_nhist_edge_over_time,
    [FN_FIRST_OVER_TIME] = fn_nhist_edge_over_time, [FN_STDDEV_OVER_TIME] = fn_stddev_over_time,
    [FN_STDVAR_OVER_TIME] = fn_stdvar_over_time, [FN_QUANTILE_OVER_TIME] = fn_quantile_over_time,
    [FN_MAD_OVER_TIME] = fn_mad_over_time, [FN_PRESENT_OVER_TIME] = fn_present_over_time,
    [FN_ABSENT_OVER_TIME] = fn_absent_over_time,
    [FN_TS_OF_FIRST_OVER_TIME] = fn_ts_of_first_over_time,
    [FN_TS_OF_LAST_OVER_TIME] = fn_ts_of_last_over_time,
    [FN_TS_OF_MIN_OVER_TIME] = fn_ts_of_min_over_time,
    [FN_TS_OF_MAX_OVER_TIME] = fn_ts_of_max_over_time,
    [FN_INFO] = fn_info, [FN_LABEL_REPLACE] = fn_label_replace, [FN_LABEL_JOIN] = fn_label_join,
    [FN_SORT] = fn_sort, [FN_SORT_DESC] = fn_sort, [FN_SORT_BY_LABEL] = fn_sort_by_label,
    [FN_SORT_BY_LABEL_DESC] = fn_sort_by_label,
    [FN_HISTOGRAM_QUANTILE] = fn_nhist_quantile,
    [FN_HISTOGRAM_FRACTION] = fn_nhist_fraction,
    [FN_HISTOGRAM_AVG] = fn_nhist_simple, [FN_HISTOGRAM_COUNT] = fn_nhist_simple,
    [FN_HISTOGRAM_SUM] = fn_nhist_simple, [FN_HISTOGRAM_STDDEV] = fn_nhist_simple,
    [FN_HISTOGRAM_STDVAR] = fn_nhist_simple,
    [FN_HISTOGRAM_QUANTILES] = fn_nhist_quantiles,
    [FN_START_TIMESTAMP] = fn_empty_vector, /* no start timestamps are stored: empty */
    [FN_START] = fn_query_time, [FN_END] = fn_query_time, [FN_RANGE] = fn_query_time,
    [FN_STEP] = fn_query_time, [FN_MIN_OF] = fn_min_max_of, [FN_MAX_OF] = fn_min_max_of,
};

bool fn_sees_histograms(enum fn_id id)
{
    switch (id) {
    case FN_LABEL_REPLACE: case FN_LABEL_JOIN: case FN_SORT_BY_LABEL: case FN_SORT_BY_LABEL_DESC: case FN_TIMESTAMP: case FN_ABSENT:
    case FN_ABSENT_OVER_TIME: case FN_COUNT_OVER_TIME: case FN_PRESENT_OVER_TIME:
    case FN_TS_OF_FIRST_OVER_TIME: case FN_TS_OF_LAST_OVER_TIME: case FN_LAST_OVER_TIME:
    case FN_FIRST_OVER_TIME: case FN_HISTOGRAM_QUANTILE: case FN_HISTOGRAM_FRACTION: case FN_HISTOGRAM_QUANTILES:
    case FN_HISTOGRAM_AVG: case FN_HISTOGRAM_COUNT: case FN_HISTOGRAM_SUM:
    case FN_HISTOGRAM_STDDEV: case FN_HISTOGRAM_STDVAR: case FN_INFO: case FN_RATE:
    case FN_INCREASE: case FN_DELTA: case FN_IRATE: case FN_IDELTA: case FN_RESETS:
    case FN_CHANGES: case FN_SUM_OVER_TIME: case FN_AVG_OVER_TIME:
        return true;
    default:
        return false;
    }
}
