// Leak verdicts on the labelled corpora, written apart from heapstorm's code: the leak
// corpus (tests/fixtures/leak_corpus), the shape corpus (tests/fixtures/shape_corpus), the
// runtime corpus (tests/fixtures/runtime_corpus), the store corpus
// (tests/fixtures/store_corpus), the I/O corpus (tests/fixtures/io_corpus), the code-bound
// corpus (tests/fixtures/codebound_corpus), the wild corpus (tests/fixtures/wild_corpus),
// the V8-kinds corpus (tests/fixtures/v8kinds_corpus), the API corpus
// (tests/fixtures/api_corpus), the app corpus (tests/fixtures/app_corpus), the datastruct
// corpus (tests/fixtures/datastruct_corpus), the native corpus
// (tests/fixtures/native_corpus), the framework corpus (tests/fixtures/framework_corpus),
// the async corpus (tests/fixtures/async_corpus), the builtin corpus
// (tests/fixtures/builtin_corpus), the big-cache corpus (tests/fixtures/bigcache_corpus),
// the beside corpus (tests/fixtures/beside_corpus), the fill-past corpus
// (tests/fixtures/fillpast_corpus), the knee corpus (tests/fixtures/knee_corpus), the
// API-surface corpus (tests/fixtures/apisurface_corpus), the lifecycle corpus
// (tests/fixtures/lifecycle_corpus), the backlog corpus (tests/fixtures/backlog_corpus), the
// slow-growth corpus (tests/fixtures/slowgrowth_corpus), the held-big corpus
// (tests/fixtures/heldbig_corpus) and the TTL corpus (tests/fixtures/ttl_corpus).
// Every module runs once in real node, at a budget of 2,000, 10,000 or 30,000 iterations
// (spread over the modules so the test stays within minutes). The truth is each corpus's
// labels.json: `leak`, `limits` (descriptors, old space), and `leak_site` (file:line of the
// allocation; `also_sites`, lines its writer named as equally plausible). Every leak must be found, every
// non-leak must be `no_leak`, and the first allocation site of the heap and native leaks
// confirmed by retention must name a labelled file:line in at least 90% of them (a leak
// with no site counts as wrong).
//
// bench/leak_corpus.sh runs a whole corpus at every budget, five times, for the table.
#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/files.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "reports/leak_sentence.h"
#include "tests/test_support.h"
#include "worker/engine/engine.h"

namespace heapstorm {
namespace {

using testing_support::Runfile;
using testing_support::ScenarioFromYaml;

struct CorpusCase {
  const char* module;
  uint64_t budget;  // iterations
  const char* corpus = "leak_corpus";  // the folder under tests/fixtures
};

// Budgets: 2,000 (the default) for most, the bounded structures among them (an LRU of
// 1,500 or of 2,000 keys filling for 6,000 iterations, a TTL of 1,800, flushes every 2,500
// and 3,000: within 2,000 iterations the same as a leak, told apart by a retention check
// that runs past the budget to its reach); 10,000 for a leak that starts at 3,000, the
// slow leaks (~11 B/iteration, near the detection limit at 2,000), and some non-leaks (async
// queues, one-shot grabs, churn, descriptors opened and closed); 30,000 for V8's own slow
// growth and a metrics window. A non-leak must be `no_leak` (a check undecided at its budget
// goes on past it until it is decided), a leak `leak`. The leak that starts at 3,000 runs
// at 10,000 only: at 2,000 it is `leak` in 6 to 10 of 10 runs, depending on the machine's
// load (bench/RESULTS.md, session 10), so there it is measured by bench/leak_corpus.sh.
const std::vector<CorpusCase>& Cases() {
  static const std::vector<CorpusCase> cases = {
      {"async_queue_drain.mjs", 10000},      {"async_retry_leak.js", 10000},
      {"buffer_churn_big.js", 30000},       {"closure_context_chain.js", 2000},
      {"compiled_handlers_leak.js", 10000}, {"emitter_listeners.js", 2000},
      {"emitter_once.mjs", 10000},           {"eval_rules.mjs", 2000},
      {"fd_handles_async.mjs", 2000},       {"fd_leak_every4.js", 2000},
      {"fd_open_close.mjs", 10000},          {"fill_then_read.js", 30000},
      {"flush_strings.mjs", 2000},         {"interval_leak.js", 2000},
      {"late_onset_leak.js", 10000},        {"linked_chain.js", 2000},
      {"lru_doubling.js", 2000},           {"lru_prealloc.js", 2000},
      {"map_ttl_sweep.js", 2000},          {"metrics_window.js", 30000},
      {"module_cache_by_i.js", 2000},       {"one_shot_at_100.mjs", 10000},
      {"pending_promises.mjs", 2000},       {"pooled_slice_pin.js", 2000},
      {"pooled_small_churn.mjs", 10000},     {"registry_class_leak.js", 2000},
      {"ring_log.mjs", 2000},               {"sawtooth_batch.js", 2000},
      {"set_window.js", 2000},              {"setup_big_buffer.js", 10000},
      {"setup_open_200_fds.js", 10000},      {"slow_leak_ints.mjs", 10000},
      {"slow_leak_strings.js", 10000},      {"template_cache.js", 2000},
      {"timers_rearmed.js", 2000},
      // The shape corpus: 10,000 for its slow leak (~10 B/iteration, grown in steps), the leak
      // that starts at 4,000 and the pool that fills ever more slowly; 2,000 for the rest.
      {"batch_writer.js", 2000, "shape_corpus"},          {"buffer_pool.js", 2000, "shape_corpus"},
      {"compiled_dispatch.js", 2000, "shape_corpus"},     {"event_bus_subscribers.js", 2000, "shape_corpus"},
      {"intern_pool.js", 10000, "shape_corpus"},          {"late_dictionary_cache.js", 10000, "shape_corpus"},
      {"latency_histogram.mjs", 2000, "shape_corpus"},    {"lru_sessions.js", 2000, "shape_corpus"},
      {"memoize_object_keys.js", 2000, "shape_corpus"},   {"odd_samples_array.js", 10000, "shape_corpus"},
      {"request_log_als.js", 2000, "shape_corpus"},       {"retry_queue_buffers.js", 2000, "shape_corpus"},
      {"static_registry_class.js", 2000, "shape_corpus"}, {"string_accumulator.js", 2000, "shape_corpus"},
      {"ttl_cache.js", 2000, "shape_corpus"},             {"weakmap_metadata.js", 2000, "shape_corpus"},
      // The runtime corpus: 10,000 for the cache cleared every 5,000 iterations (its table's
      // entries counted at three phases of its sawtooth) and the leak that starts at 2,500;
      // 2,000 for the rest, its two slow leaks (~8 and ~10 B/iteration) included.
      {"abort_signal_listeners.js", 2000, "runtime_corpus"}, {"bitpacked_status.js", 2000, "runtime_corpus"},
      {"deploy_reset_cache.js", 10000, "runtime_corpus"},    {"finalization_strong_held.js", 2000, "runtime_corpus"},
      {"finreg_index_cleanup.js", 2000, "runtime_corpus"},   {"float64_frames.js", 2000, "runtime_corpus"},
      {"memo_fixed_keys.js", 2000, "runtime_corpus"},        {"parked_generators.mjs", 10000, "runtime_corpus"},
      {"passthrough_consumed.js", 2000, "runtime_corpus"},   {"proxy_field_cache.js", 2000, "runtime_corpus"},
      {"truncated_batch.js", 2000, "runtime_corpus"},        {"two_level_cache.js", 2000, "runtime_corpus"},
      {"unread_log_stream.js", 2000, "runtime_corpus"},      {"weakref_table_cache.mjs", 2000, "runtime_corpus"},
      // The store corpus: caches, rings and pools whose slots are made at their size (8,000-
      // 25,000), still filling at the budget's end, and leaks beside or through such arrays.
      // All at 2,000: the LRU of 25,000 small values is decided at ~75,000, past 25 budgets,
      // where its iterations are cheap enough to go (CheapReach; within 25 budgets it is
      // `inconclusive`: LeakDetectionTest covers both).
      {"history_preseeded.js", 2000, "store_corpus"},   {"lfu_two_arrays_10k.js", 2000, "store_corpus"},
      {"lru_evicted_kept_12k.js", 2000, "store_corpus"}, {"lru_meta_map_15k.js", 2000, "store_corpus"},
      {"lru_slots_12k.js", 2000, "store_corpus"},       {"lru_slots_read_20k.js", 2000, "store_corpus"},
      {"lru_small_values_25k.js", 2000, "store_corpus"}, {"prealloc_2m_slots.js", 2000, "store_corpus"},
      {"ring_requests_16k.js", 2000, "store_corpus"},   {"slab_pool_9k.js", 2000, "store_corpus"},
      // The I/O corpus, all twelve at 2,000: six leaks, and six non-leaks that keep work in
      // flight (loopback TCP writers, un-awaited writes and lookups that outrun libuv's
      // threads, a batch flushed by setImmediate, a stream pipeline's buffers, an async
      // logger's queue). The last four were left out from session 20 to 46, as they read as
      // growth in this test then; `no_leak` in 16 of 16 runs here in session 46.
      // dns_lookup_map.js: its records are made in libuv's callbacks, after the iteration
      // that asked, so a window may hold the lookups and not yet their records: its first
      // check found the window freed, and at 2,000 the second one (from 8,784) could not
      // reach 8 s2 within 25 budgets (`inconclusive` in 2 of 5 runs, bench/RESULTS.md,
      // session 21, and in CI runs). The driver waits for the requests in flight at a
      // window's edges since session 46 (drainRequests): its first check is confirmed. In a
      // loaded CI run its check ended at 87,640 with its Map's table stepped and no room for
      // the table's watch under a second of its own time: a table's watch may take it to
      // twice what it had spent there now (TableWatchMs).
      {"async_read_cache.mjs", 2000, "io_corpus"},   {"dns_lookup_map.js", 2000, "io_corpus"},
      {"file_logger_history.js", 2000, "io_corpus"}, {"rpc_error_listener.js", 2000, "io_corpus"},
      {"tcp_drain_listener.js", 2000, "io_corpus"},  {"tcp_round_trip.js", 2000, "io_corpus"},
      {"file_logger_queue.js", 2000, "io_corpus"},   {"fire_and_forget_snapshot.mjs", 2000, "io_corpus"},
      {"setimmediate_batch.js", 2000, "io_corpus"},  {"stream_pipeline.mjs", 2000, "io_corpus"},
      {"tcp_sync_writer.js", 2000, "io_corpus"},     {"udp_ack_tracker.mjs", 2000, "io_corpus"},
      // The code-bound corpus: caches bounded only by their code, of 5,000-30,000 entries,
      // one new key an iteration (half of one for the 30,000), and leaks in such caches, all
      // at 2,000 but two leaks. Their confirmations are watched on to half of the check's
      // limit (StretchedReach), which cheap iterations take past 25 budgets (CheapReach): the
      // caches full by ~60,000 (a quick-lru style pair of Maps rotating at 10,000 holds up to
      // 20,000, and frees an entry only after two turns; a Map LRU of 30,000 with a new key
      // every second iteration; a Set of 25,000 ids), which 25 budgets did not reach, were
      // each a `leak` at 2,000 in every run before; a linked-list LRU of 15,000 with hits on
      // recent keys, whose second check could not reach 8 s2 within 25 budgets, was
      // `inconclusive` in 2 of 15 runs; an LRU of 5,000 whose evictions go to an audit log
      // never trimmed leaks from ~5,000, behind the cache's fill-up, and was `inconclusive`
      // at 2,000 (its second check could not reach 8 s2 either). Each 5 of 5 at 2,000 since
      // (bench/RESULTS.md, session 28).
      {"01_map_lru_5k.js", 2000, "codebound_corpus"},
      {"02_map_lru_20k.js", 2000, "codebound_corpus"},
      {"03_quick_lru_10k.js", 2000, "codebound_corpus"},
      {"04_linked_list_lru_15k.js", 2000, "codebound_corpus"},
      {"05_object_dict_queue_8k.js", 2000, "codebound_corpus"},
      {"06_ttl_iterations_12k.js", 2000, "codebound_corpus"},
      {"07_map_lru_30k_half_inserts.js", 2000, "codebound_corpus"},
      {"08_seen_ids_set_25k.js", 2000, "codebound_corpus"},
      {"09_lru_meta_map_leak.js", 2000, "codebound_corpus"},
      {"10_wrong_evict_key_leak.js", 2000, "codebound_corpus"},
      {"11_linked_list_map_not_deleted_leak.js", 10000, "codebound_corpus"},
      {"12_quick_lru_generations_leak.js", 2000, "codebound_corpus"},
      {"13_ttl_wallclock_sweep_leak.js", 10000, "codebound_corpus"},
      {"14_lru_audit_log_leak.js", 2000, "codebound_corpus"},
      // The wild corpus: leaks of other shapes than a cache, and their bounded twins, at 2,000
      // (every 16th error kept with its stack too, ~22 B/iteration: its stack's records are
      // the program's, HeapSnapshotDiffTest); its slow leak of every 4th request's context
      // (~20 B/iteration) at 10,000, as the leak corpus's.
      {"01_sliced_substring_cache.js", 2000, "wild_corpus"},
      {"02_flattened_substring_lru.js", 2000, "wild_corpus"},
      {"03_closure_shared_context.js", 2000, "wild_corpus"},
      {"04_promise_race_shutdown.mjs", 2000, "wild_corpus"},
      {"05_dict_mode_computed_keys.js", 2000, "wild_corpus"},
      {"06_dict_cycling_key_space.js", 2000, "wild_corpus"},
      {"07_error_log_unbounded.js", 2000, "wild_corpus"},
      {"08_error_ring_last200.js", 2000, "wild_corpus"},
      {"09_regexp_cache_per_pattern.js", 2000, "wild_corpus"},
      {"10_regexp_cache_fixed_patterns.js", 2000, "wild_corpus"},
      {"11_parked_generator_set.js", 2000, "wild_corpus"},
      {"12_als_request_context.mjs", 2000, "wild_corpus"},
      {"13_als_context_audit_every4.mjs", 10000, "wild_corpus"},
      {"14_batch_flush_sawtooth.js", 2000, "wild_corpus"},
      {"15_rope_string_reset.js", 2000, "wild_corpus"},
      {"16_emitter_listener_rotation.js", 2000, "wild_corpus"},
      {"17_emitter_remove_wrong_fn.js", 2000, "wild_corpus"},
      {"18_typed_array_pool.js", 2000, "wild_corpus"},
      // The V8-kinds corpus, at 2,000: what the leaks keep is mostly V8's records (a stack's
      // CallSiteInfo, a bound function's arguments, promise reactions) behind small objects.
      {"01_deep_error_log.js", 2000, "v8kinds_corpus"},
      {"02_deep_error_ring.js", 2000, "v8kinds_corpus"},
      {"03_capture_stack_pending_map.js", 2000, "v8kinds_corpus"},
      {"04_capture_stack_map_deleted.js", 2000, "v8kinds_corpus"},
      {"05_bound_callback_registry.js", 2000, "v8kinds_corpus"},
      {"06_bound_callback_slots.js", 2000, "v8kinds_corpus"},
      {"07_then_chain_never_settles.mjs", 2000, "v8kinds_corpus"},
      {"08_then_chain_settles.mjs", 2000, "v8kinds_corpus"},
      {"09_regexp_per_request_cache.js", 2000, "v8kinds_corpus"},
      {"10_regexp_lru64.js", 2000, "v8kinds_corpus"},
      // The API corpus, at 2,000: leaks through the runtime's APIs and their bounded twins.
      {"01_symbol_for_request_key.js", 2000, "api_corpus"},
      {"02_symbol_for_fixed_keys.js", 2000, "api_corpus"},
      {"03_abort_listener_shared_signal.js", 2000, "api_corpus"},
      {"04_abort_listener_removed.js", 2000, "api_corpus"},
      // 05 was `inconclusive` in some runs of this test (1 of 7 in session 24, a CI run in
      // session 37, 6 of 92 with CORPUS_ONLY, most beside a busy CPU): its first check found
      // the window kept 6 to 11 times the growth (UNACCOUNTED), 80,896 bytes of one zlib
      // stream's memory counted as the window's under an id V8 had given another stream's in
      // the window (FreshNativeKeptItsHolder, worker/engine/heap_snapshot.cc); 24 of 24 since.
      {"05_deflate_session_unclosed.mjs", 2000, "api_corpus"},
      {"06_deflate_session_closed.mjs", 2000, "api_corpus"},
      {"07_message_channel_per_job_open.mjs", 2000, "api_corpus"},
      {"08_message_channel_per_job_closed.mjs", 2000, "api_corpus"},
      {"09_hash_upload_undigested.js", 2000, "api_corpus"},
      {"10_hash_upload_digested.js", 2000, "api_corpus"},
      {"11_structured_clone_audit_log.js", 2000, "api_corpus"},
      {"12_structured_clone_audit_ring.js", 2000, "api_corpus"},
      // The app corpus, at 2,000: application patterns and their bounded twins.
      {"01_private_registry_never_unregistered.js", 2000, "app_corpus"},
      {"02_private_registry_dispose_unregisters.js", 2000, "app_corpus"},
      {"03_proxy_memo_unbounded.js", 2000, "app_corpus"},
      {"04_proxy_memo_bounded256.js", 2000, "app_corpus"},
      {"05_buffer_subarray_pins_store.js", 2000, "app_corpus"},
      {"06_buffer_header_copy_ring512.js", 2000, "app_corpus"},
      {"07_inverted_index_append_only.js", 2000, "app_corpus"},
      {"08_inverted_index_rolling_window.js", 2000, "app_corpus"},
      {"09_process_listener_per_request.mjs", 2000, "app_corpus"},
      {"10_process_once_emitted.mjs", 2000, "app_corpus"},
      {"11_event_log_never_compacted.js", 2000, "app_corpus"},
      {"12_event_log_snapshot_every2000.js", 2000, "app_corpus"},
      // The datastruct corpus, at 2,000: data-structure internals (a queue that never compacts, a
      // sparse table, doubles, BigInts, globals, pending timers) and their bounded twins.
      {"01_job_queue_head_never_compacted.js", 2000, "datastruct_corpus"},
      {"02_job_queue_compacts_after_1024.js", 2000, "datastruct_corpus"},
      {"03_sparse_request_table_stride37.js", 2000, "datastruct_corpus"},
      {"04_request_table_slot_mod4096.js", 2000, "datastruct_corpus"},
      {"05_latency_samples_unbounded.js", 2000, "datastruct_corpus"},
      {"06_latency_samples_float64_ring.js", 2000, "datastruct_corpus"},
      {"07_bigint_ledger_full_history.js", 2000, "datastruct_corpus"},
      {"08_bigint_ledger_ring512.js", 2000, "datastruct_corpus"},
      {"09_request_context_on_globalthis.js", 2000, "datastruct_corpus"},
      {"10_request_context_global_window256.js", 2000, "datastruct_corpus"},
      {"11_request_timeout_never_cleared.mjs", 2000, "datastruct_corpus"},
      {"12_request_timeout_cleared_in_finally.mjs", 2000, "datastruct_corpus"},
      // The native corpus, at 2,000: memory partly or wholly outside the JS heap (Intl
      // formatters, TextEncoder output, unpooled Buffers, WebAssembly memories, hashes, URLs).
      {"01_intl_formatter_cache_keyed_by_user.js", 2000, "native_corpus"},
      {"02_intl_formatter_cache_fixed_combos.js", 2000, "native_corpus"},
      {"03_textencoder_audit_trail_unbounded.js", 2000, "native_corpus"},
      {"04_textencoder_audit_ring256.js", 2000, "native_corpus"},
      {"05_unpooled_session_buffers_never_pruned.js", 2000, "native_corpus"},
      {"06_unpooled_session_buffers_freelist64.js", 2000, "native_corpus"},
      {"07_wasm_memory_per_tenant_registry.js", 2000, "native_corpus"},
      {"08_wasm_memory_fixed_tenants.js", 2000, "native_corpus"},
      {"09_hash_pending_uploads_never_finalized.js", 2000, "native_corpus"},
      {"10_hash_pending_uploads_always_finalized.js", 2000, "native_corpus"},
      {"11_url_history_per_route_unbounded.mjs", 2000, "native_corpus"},
      {"12_url_history_per_route_capped500.mjs", 2000, "native_corpus"},
      // The framework corpus, at 2,000: miniature framework internals (middleware, pub/sub,
      // an identity map, a DataLoader cache, compiled templates, hooks) and their bounded twins.
      {"01_router_error_middleware_per_request.js", 2000, "framework_corpus"},
      {"02_router_error_middleware_once.js", 2000, "framework_corpus"},
      {"03_pubsub_empty_topic_sets.js", 2000, "framework_corpus"},
      {"04_pubsub_prunes_empty_topics.js", 2000, "framework_corpus"},
      {"05_orm_identity_map_long_session.js", 2000, "framework_corpus"},
      {"06_orm_unit_of_work_per_request.js", 2000, "framework_corpus"},
      {"07_dataloader_module_cache.mjs", 2000, "framework_corpus"},
      {"08_dataloader_per_request.mjs", 2000, "framework_corpus"},
      {"09_template_cache_id_in_source.js", 2000, "framework_corpus"},
      {"10_template_cache_id_as_data.js", 2000, "framework_corpus"},
      {"11_hooks_handlers_never_removed.js", 2000, "framework_corpus"},
      {"12_hooks_once_handlers_removed.js", 2000, "framework_corpus"},
      // The async corpus, at 2,000: asynchronous patterns (races and events.once on what
      // never settles, parked async generators, intervals, retry records, AsyncLocalStorage).
      {"01_race_shutdown_signal_pending.mjs", 2000, "async_corpus"},
      {"02_race_per_request_deadline.mjs", 2000, "async_corpus"},
      {"03_events_once_shutdown_per_request.mjs", 2000, "async_corpus"},
      {"04_events_once_aborted_after_request.mjs", 2000, "async_corpus"},
      {"05_async_cursor_parked_open.mjs", 2000, "async_corpus"},
      {"06_async_cursor_closed_on_exit.mjs", 2000, "async_corpus"},
      {"07_heartbeat_interval_never_cleared.js", 2000, "async_corpus"},
      {"08_heartbeat_interval_cleared_on_close.js", 2000, "async_corpus"},
      {"09_retry_diagnostics_never_pruned.js", 2000, "async_corpus"},
      {"10_retry_diagnostics_pruned.js", 2000, "async_corpus"},
      {"11_als_store_metrics_never_flushed.mjs", 2000, "async_corpus"},
      {"12_als_store_metrics_flushed_every500.mjs", 2000, "async_corpus"},
      // The builtin corpus, at 2,000 and 10,000: what built-in and native functions make,
      // kept (JSON.parse, Object.fromEntries, `.filter`, `toString('hex')`, URLSearchParams),
      // and Buffer pool slices.
      {"01_request_body_json_journal.js", 2000, "builtin_corpus"},
      {"02_request_body_json_ring.js", 10000, "builtin_corpus"},
      {"03_header_index_fromentries.mjs", 10000, "builtin_corpus"},
      {"04_header_index_fromentries_capped.mjs", 2000, "builtin_corpus"},
      {"05_price_band_filter_cache.js", 2000, "builtin_corpus"},
      {"06_price_band_filter_cache_cleared.js", 10000, "builtin_corpus"},
      {"07_message_fingerprint_hex_set.mjs", 10000, "builtin_corpus"},
      {"08_message_fingerprint_hex_set_reset.mjs", 2000, "builtin_corpus"},
      {"09_session_token_pool_slices.js", 2000, "builtin_corpus"},
      {"10_session_token_pool_slices_expiring.js", 10000, "builtin_corpus"},
      {"11_search_params_history.mjs", 10000, "builtin_corpus"},
      {"12_search_params_history_capped.mjs", 2000, "builtin_corpus"},
      // The big-cache corpus: caches and windows of 20,000-60,000 entries bounded only by
      // their code, with microsecond iterations, and leaks that look like them, at 2,000
      // (five of its six caches were a `leak` there while a check stopped at 25 budgets:
      // bench/RESULTS.md, session 28). How far they are watched is set by the modules' own
      // time without their waits for a CPU: read as wall time, it shrank on a loaded machine,
      // and a CI run watched 03 only to ~42,000 and read it as a leak. Not its leak that
      // starts only once a cache of 30,000 is full (09): its first check's window is freed
      // by a watch that goes on to ~155,000-225,000, and the second check, started there,
      // cannot reach 3 s2 within the limit: `inconclusive` at 2,000, and at 10,000 in one CI
      // run of two (issue 13, open).
      {"01_session_lru_40k.js", 2000, "bigcache_corpus"},
      {"02_request_id_window_object.mjs", 2000, "bigcache_corpus"},
      {"03_price_two_generation_cache.js", 2000, "bigcache_corpus"},
      {"04_client_rate_limiter_50k.mjs", 2000, "bigcache_corpus"},
      {"05_latency_ring_60k.js", 2000, "bigcache_corpus"},
      {"06_session_lru_evicts_by_user.mjs", 2000, "bigcache_corpus"},
      {"07_event_dedup_set.js", 2000, "bigcache_corpus"},
      {"08_route_stats_samples.mjs", 2000, "bigcache_corpus"},
      {"10_badge_html_cache_cycling.mjs", 2000, "bigcache_corpus"},
      // The beside corpus: small leaks (68-105 B/iteration) beside bounded structures of
      // 0.6-2 KB entries still filling for the first 10,000-30,000 iterations, and bounded
      // ones like them. A watch held to 16 MiB of growth stopped short of an LRU of 25,000
      // sessions of ~1.2 KB (06), a `leak` at every budget, and short of where the caches
      // beside three of the leaks were full: those were missed or `inconclusive` at 2,000.
      {"01_product_api_lru_access_log.js", 2000, "beside_corpus"},
      {"02_profiler_stack_ring_span_starts.mjs", 10000, "beside_corpus"},
      {"03_tile_renderer_two_generation_seen_keys.js", 2000, "beside_corpus"},
      {"04_profile_service_dict_cache_listeners.mjs", 2000, "beside_corpus"},
      {"05_search_suggest_lru_recent_trimmed.mjs", 10000, "beside_corpus"},
      // 06 at 10,000: at 2,000 its watch ends where a bound on the module's own time falls
      // (half of CheapReach, or the allowance), ~30,000-46,000, and the later part of
      // [s2, s4] then holds the end of its fill
      // (25,000) and the sessions its hits keep (~233 B/iteration of the window): under load,
      // with a lower limit, it was a `leak` in 1 of 5 runs and in a CI run (issue 13, open).
      {"06_session_store_lru_with_meta.js", 10000, "beside_corpus"},
      {"07_gateway_log_ring_route_counters.mjs", 2000, "beside_corpus"},
      {"08_blog_page_cache_evicted_keys.js", 2000, "beside_corpus"},
      // The fill-past corpus: bounded structures of 0.8-2 KB entries full only at
      // 30,000-50,000 iterations, three of them beside leaks of 48-156 B/iteration. All at
      // 10,000 (right in 3 of 3 runs each on a loaded machine). At 2,000 how far a check
      // may go follows the machine's load, and on a loaded one every module was wrong in
      // 1-4 of 5 runs: a FIFO of 40,000 (01) and a TTL dictionary of 30,000 (02) watched
      // to ~25,000-36,000, short of where their window leaves them, are a `leak`; a second
      // check cut short inside 04's and 05's caches' turnover calls them bounded (issue
      // 13, open). On a quiet machine a watch past the knee where 04's and 05's caches
      // fill finds both (WatchPastTheKnee).
      {"01_catalog_fifo_cache_key_queue.js", 10000, "fillpast_corpus"},
      {"02_tenant_config_ttl_dict_sweep.mjs", 10000, "fillpast_corpus"},
      {"03_trace_frame_ring_preallocated.js", 10000, "fillpast_corpus"},
      {"04_pricing_map_lru_request_log.mjs", 10000, "fillpast_corpus"},
      {"05_tenant_bucket_cache_seen_request_ids.js", 10000, "fillpast_corpus"},
      {"06_document_fifo_cache_change_listeners.mjs", 10000, "fillpast_corpus"},
      // The knee corpus: structures that fill for 18,000-37,000 iterations and stop, four
      // beside leaks of 50-70 B/iteration that grow on after the knee (one whose rate falls
      // tenfold there, behind warm-up records kept forever). At 10,000 (24 of 24 right in 3
      // runs each there), 04 and 06 at 30,000; at 2,000 a random-key map whose fill slows
      // without end is a `leak`, and a ring of 25,000 beside a leak `inconclusive`
      // (bench/RESULTS.md, session 32; issue 13, open). 07 at 2,000: a cache of 200 x 150
      // responses full at ~33,300, past half of the check's limit (25,000), where its
      // watch ended and found its window alive: a `leak` in every run until the watch went
      // on to 25 budgets (WatchTheOtherHalf), where the window is gone.
      {"01_session_profile_map_lru.js", 10000, "knee_corpus"},
      {"02_inventory_linked_lru_audit_trail.mjs", 10000, "knee_corpus"},
      {"03_thumbnail_fifo_circular_keys_dict.js", 10000, "knee_corpus"},
      // 04 and 06 at 30,000, where s3 falls past the knee: 04's window kept more than the
      // bar past a knee its later part held (KeptPastAKnee), 06's growth went on past a
      // fill that slowed (SLOWED, a second check); both were `no_leak` there.
      {"04_quote_ttl_cache_tick_subscribers.mjs", 30000, "knee_corpus"},
      {"05_geo_cell_random_key_overwrite.mjs", 10000, "knee_corpus"},
      {"06_latency_history_warmup_never_dropped.js", 30000, "knee_corpus"},
      {"07_tenant_bucket_response_cache.js", 2000, "knee_corpus"},
      {"08_access_log_ring_seen_request_ids.mjs", 10000, "knee_corpus"},
      // The API-surface corpus, spread over the three budgets. 05, listeners of ~28
      // B/iteration behind an early fill, at 2,000: its window could be too short to tell
      // (WINDOW_SHORT), and it was `no_leak` at 2,000 and 10,000.
      {"01_tenant_router_als_billing_hooks.mjs", 2000, "apisurface_corpus"},
      {"02_metrics_exporter_als_scrape_ring.js", 10000, "apisurface_corpus"},
      {"03_avatar_thumb_weakref_etag_index.js", 30000, "apisurface_corpus"},
      {"04_email_template_weakref_registry_cache.mjs", 2000, "apisurface_corpus"},
      {"05_job_runner_flag_bus_listeners.js", 2000, "apisurface_corpus"},
      {"06_inventory_client_abort_scoped_listeners.mjs", 10000, "apisurface_corpus"},
      {"07_catalog_search_snippet_index_sliced.mjs", 30000, "apisurface_corpus"},
      {"08_changelog_preview_lru_sliced.js", 2000, "apisurface_corpus"},
      {"09_change_feed_parked_async_cursors.mjs", 10000, "apisurface_corpus"},
      {"10_webhook_signer_url_encoder_churn.js", 30000, "apisurface_corpus"},
      {"11_checkout_form_proxy_observers_rollout.js", 10000, "apisurface_corpus"},
      {"12_metric_series_private_static_registry.mjs", 2000, "apisurface_corpus"},
      // The lifecycle corpus, spread over the three budgets. 08's 5 ms timeouts were a handle
      // "leak" at 801 by their trend, at both budgets: a count watched on at even steps is
      // level (RunMonitor::StartCountWatch). 09 is a backlog that grows by a job per
      // iteration from 4,000 (two in, one out, first in first out): every job is taken in
      // the end, at about twice its age, so a window's jobs are gone by 8 s2 and no check
      // confirmed it (`inconclusive` at 2,000 and 10,000) until a second freed window with
      // the growth going on was read as turnover (GrowsByTurnover).
      {"01_pricing_plugin_host_hot_reload.mjs", 2000, "lifecycle_corpus"},
      {"02_pricing_plugin_host_fixed_tiers.js", 10000, "lifecycle_corpus"},
      {"03_template_sandbox_per_tenant_contexts.js", 2000, "lifecycle_corpus"},
      {"04_template_sandbox_capped_contexts.mjs", 10000, "lifecycle_corpus"},
      {"05_sales_report_history_steps.mjs", 10000, "lifecycle_corpus"},
      {"06_sales_report_last_four.js", 30000, "lifecycle_corpus"},
      {"07_payment_capture_hour_callback_timers.js", 10000, "lifecycle_corpus"},
      {"08_payment_capture_fast_callback_timers.mjs", 2000, "lifecycle_corpus"},
      {"09_notification_queue_after_scale_down.mjs", 2000, "lifecycle_corpus"},
      {"10_notification_queue_drain_all.js", 10000, "lifecycle_corpus"},
      {"11_access_log_analyzer_slow_samples.js", 2000, "lifecycle_corpus"},
      {"12_access_log_analyzer_sample_ring.mjs", 30000, "lifecycle_corpus"},
      // The backlog corpus: five queues that take in more than they release (each found
      // by turnover: GrowsByTurnover) and five bounded twins. 07 grows by ~24 B/iteration,
      // about the growth that starts a second check after its first window was found freed
      // (RegrowthBar, 16 times the check's bar: ~24.5 B/iteration over [898, ~11,600]);
      // under it, that growth is watched on to where it clears the bar (WatchRegrowth).
      {"01_mail_sender_ring_backlog.mjs", 2000, "backlog_corpus"},
      {"02_log_shipper_load_shedding.js", 10000, "backlog_corpus"},
      {"03_webhook_dispatcher_uncapped_retry.js", 2000, "backlog_corpus"},
      {"04_sms_gateway_capped_retry.mjs", 30000, "backlog_corpus"},
      {"05_thumbnail_renderer_throttled_after_5000.mjs", 10000, "backlog_corpus"},
      {"06_order_events_burst_drained.js", 2000, "backlog_corpus"},
      {"07_search_indexer_skipped_ticks.js", 10000, "backlog_corpus"},
      {"08_telemetry_batcher_adaptive_drain.mjs", 10000, "backlog_corpus"},
      {"09_geocoder_client_async_backlog.mjs", 2000, "backlog_corpus"},
      {"10_job_scheduler_delayed_heap.js", 30000, "backlog_corpus"},
      // The slow-growth corpus: growth of ~18-21 B/iteration past a window found freed, at
      // about RegrowthBar, watched on where under it (WatchRegrowth): two backlogs and a
      // late start behind a dropped warm-up, and their bounded twins.
      {"01_metrics_ingest_backlog.js", 2000, "slowgrowth_corpus"},
      {"02_admin_audit_trail.mjs", 10000, "slowgrowth_corpus"},
      {"03_thumbnail_render_queue.mjs", 2000, "slowgrowth_corpus"},
      {"04_cdn_purge_queue.mjs", 10000, "slowgrowth_corpus"},
      {"05_signin_activity_feed.js", 2000, "slowgrowth_corpus"},
      {"06_idempotency_key_cache.js", 10000, "slowgrowth_corpus"},
      // The held-big corpus: big structures held long (a warm-up index kept forever, TTL
      // caches of 60,000 iterations, tables of ~30 MB made in setup), three beside leaks of
      // 40-48 B/iteration. 03 at 10,000: at 2,000 its TTL cache's window is freed past a knee
      // at ~180,000, the check's limit, and the Set of request ids beside it is carried by
      // its table alone, with no room for a table's watch to twice that. It was
      // `inconclusive` there in every run until the watch counted the table's entries from
      // its start (RunMonitor::CountEntriesOverTheWatch). Still not 9 in 10 there: a watch
      // ending at ~65,000-80,000 leaves a second check inside the TTL, short of where it
      // decides, and that check is undecided (`inconclusive` in 4 of 5 runs at 2,000 in
      // session 45; bench/RESULTS.md; issue 13, open). 04, a TTL cache of 60,000 iterations whose
      // window outlives half of the check's limit at 2,000 (WatchTheOtherHalf), at 10,000.
      {"01_catalog_index_warmup_audit_trail.js", 2000, "heldbig_corpus"},
      {"02_fare_index_warmup_read_only.mjs", 2000, "heldbig_corpus"},
      {"03_upload_grant_ttl_cache_seen_request_ids.mjs", 10000, "heldbig_corpus"},
      {"04_token_introspection_ttl_cache.js", 10000, "heldbig_corpus"},
      {"05_dispatch_grid_table_driver_trails.js", 10000, "heldbig_corpus"},
      {"06_postal_table_capped_merchant_latency.mjs", 2000, "heldbig_corpus"},
      // The TTL corpus: caches and rings whose turnover lies 20-45 budgets of 2,000 past the
      // entry they took, beside two leaks. At 2,000 how far their checks go follows the
      // module's own time, which CI's load raises: 01 (a dictionary of 40,000 iterations)
      // and 02 (a Map of 70,000) were `inconclusive` in 1 of 3 runs there, 03's leak beside
      // a TTL cache of 50,000 was `inconclusive` at 90,907 in a CI run, and 04's ring of
      // 90,000 slots stopped at 8,784 there, its fill needing 270,000 (issue 13, open). So
      // 01-03 at 10,000, and 04 at 30,000, where 25 budgets reach past its fill.
      {"01_session_fragment_cache.js", 10000, "ttl_corpus"},
      {"02_feature_flag_cache.mjs", 10000, "ttl_corpus"},
      {"03_pricing_quote_cache.js", 10000, "ttl_corpus"},
      {"04_telemetry_span_ring.mjs", 30000, "ttl_corpus"},
      {"05_request_dedupe_lru.js", 2000, "ttl_corpus"},
      {"06_tenant_latency_stats.mjs", 10000, "ttl_corpus"},
  };
  return cases;
}

struct Label {
  bool leak = false;
  std::string limits;        // its labelled limits as YAML, each after ", ": "descriptors: 64"
  std::string site_file;     // leak_site: "" for a non-leak
  std::set<uint32_t> site_lines;  // leak_site's line and those of also_sites in its file
};

// "file:line": the file, and the line added to `lines` (none when it has no number).
std::string SiteFile(const std::string& site, std::set<uint32_t>* lines) {
  const size_t colon = site.rfind(':');
  uint32_t line = 0;
  if (colon != std::string::npos && absl::SimpleAtoi(site.substr(colon + 1), &line)) lines->insert(line);
  return site.substr(0, colon);
}

// A corpus's labels.json: one entry per module (tests/fixtures/leak_corpus/README.md), keyed
// "corpus/module".
void ReadLabels(const std::string& corpus, std::map<std::string, Label>* labels) {
  absl::StatusOr<std::string> text = ReadFile(Runfile(absl::StrCat("tests/fixtures/", corpus, "/labels.json")));
  EXPECT_TRUE(text.ok()) << text.status();
  google::protobuf::ListValue list;
  if (!text.ok() || !google::protobuf::util::JsonStringToMessage(*text, &list).ok()) {
    ADD_FAILURE() << corpus << "/labels.json is not a JSON array";
    return;
  }
  for (const google::protobuf::Value& entry : list.values()) {
    const auto& f = entry.struct_value().fields();
    Label label;
    label.leak = f.count("leak") > 0 && f.at("leak").bool_value();
    if (f.count("limits") > 0) {
      // Each limit as YAML: a number, or a size ("64Mi").
      for (const auto& [key, value] : f.at("limits").struct_value().fields()) {
        absl::StrAppend(&label.limits, ", ", key, ": ",
                        value.has_string_value() ? value.string_value()
                                                 : absl::StrCat(static_cast<uint64_t>(value.number_value())));
      }
    }
    if (f.count("leak_site") > 0 && f.at("leak_site").has_string_value()) {
      label.site_file = SiteFile(f.at("leak_site").string_value(), &label.site_lines);
    }
    if (f.count("also_sites") > 0) {
      for (const google::protobuf::Value& also : f.at("also_sites").list_value().values()) {
        std::set<uint32_t> lines;
        if (SiteFile(also.string_value(), &lines) == label.site_file) label.site_lines.insert(lines.begin(), lines.end());
      }
    }
    (*labels)[absl::StrCat(corpus, "/", f.count("module") > 0 ? f.at("module").string_value() : "")] = label;
  }
}

// To chase a verdict that changes from run to run, in this test's own conditions (the
// engine in-process, two runs at a time, the sandbox): CORPUS_ONLY (`only`) runs only the
// cases whose module's name contains it (or one of its comma-separated parts), CORPUS_REPEAT
// (`repeat_text`) times each (CI sets neither), e.g.
//   bazel test //tests:leak_corpus_test --test_env=CORPUS_ONLY=05_deflate --test_env=CORPUS_REPEAT=8
// False (with a failure) when the count is not a positive number.
bool SelectCases(const char* only, const char* repeat_text, std::vector<CorpusCase>* cases) {
  int repeat = 1;
  if (repeat_text != nullptr && !(absl::SimpleAtoi(repeat_text, &repeat) && repeat > 0)) {
    ADD_FAILURE() << "CORPUS_REPEAT=" << repeat_text;
    return false;
  }
  const std::vector<absl::string_view> parts =
      only == nullptr ? std::vector<absl::string_view>{} : absl::StrSplit(only, ',');
  for (const CorpusCase& c : Cases()) {
    const bool selected = only == nullptr || std::any_of(parts.begin(), parts.end(), [&](absl::string_view part) {
                            return !part.empty() && absl::StrContains(c.module, part);
                          });
    if (!selected) continue;
    for (int i = 0; i < repeat; ++i) cases->push_back(c);
  }
  return true;
}

const char* VerdictName(v1::LeakVerdict v) {
  return v == v1::LEAK_VERDICT_LEAK ? "leak" : v == v1::LEAK_VERDICT_NO_LEAK ? "no_leak" : "inconclusive";
}

TEST(LeakCorpusTest, EveryModuleOnceLeaksFoundNonLeaksNoLeakSitesInTheModule) {
  std::map<std::string, Label> labels;
  ReadLabels("leak_corpus", &labels);
  ReadLabels("shape_corpus", &labels);
  ReadLabels("runtime_corpus", &labels);
  ReadLabels("store_corpus", &labels);
  ReadLabels("io_corpus", &labels);
  ReadLabels("codebound_corpus", &labels);
  ReadLabels("wild_corpus", &labels);
  ReadLabels("v8kinds_corpus", &labels);
  ReadLabels("api_corpus", &labels);
  ReadLabels("app_corpus", &labels);
  ReadLabels("datastruct_corpus", &labels);
  ReadLabels("native_corpus", &labels);
  ReadLabels("framework_corpus", &labels);
  ReadLabels("async_corpus", &labels);
  ReadLabels("builtin_corpus", &labels);
  ReadLabels("bigcache_corpus", &labels);
  ReadLabels("beside_corpus", &labels);
  ReadLabels("fillpast_corpus", &labels);
  ReadLabels("knee_corpus", &labels);
  ReadLabels("apisurface_corpus", &labels);
  ReadLabels("lifecycle_corpus", &labels);
  ReadLabels("backlog_corpus", &labels);
  ReadLabels("slowgrowth_corpus", &labels);
  ReadLabels("heldbig_corpus", &labels);
  ReadLabels("ttl_corpus", &labels);
  EngineOptions options;
  options.scratch_dir = testing_support::TmpDir();
  absl::StatusOr<std::unique_ptr<Engine>> engine = Engine::Create(options);
  ASSERT_TRUE(engine.ok()) << engine.status();

  std::mutex mu;
  int leaks = 0, found = 0, confirmed = 0, sited = 0, sites_right = 0, lines_right = 0, false_alarms = 0;
  int non_leaks = 0, no_leaks = 0;
  const char* only = std::getenv("CORPUS_ONLY");
  std::vector<CorpusCase> cases;
  ASSERT_TRUE(SelectCases(only, std::getenv("CORPUS_REPEAT"), &cases));
  ASSERT_FALSE(cases.empty()) << "no case's module contains CORPUS_ONLY=" << only;
  std::atomic<size_t> next{0};
  auto work = [&]() {
    while (true) {
      size_t job = next++;
      if (job >= cases.size()) return;
      const CorpusCase& c = cases[job];
      const std::string key = absl::StrCat(c.corpus, "/", c.module);
      ASSERT_EQ(labels.count(key), 1u) << c.module << " is not in " << c.corpus << "/labels.json";
      const Label label = labels.at(key);
      RunRequest request;
      request.scenario = ScenarioFromYaml(absl::StrCat(
          "scenarios:\n  - name: corpus\n    kind: script\n    params: {module: tests/fixtures/", key,
          ", iterations: ", c.budget, "}\n    leak_check: {iterations: ", c.budget, "}\n    limits: {timeout: 15m",
          label.limits, "}\n"));
      absl::StatusOr<v1::RunResult> r = (*engine)->Run(request);
      std::lock_guard<std::mutex> lock(mu);
      ASSERT_TRUE(r.ok()) << c.module << ": " << r.status();
      const v1::LeakResult& leak = r->leak();
      std::cerr << c.module << " @" << c.budget << " (" << (label.leak ? "leak" : "no leak")
                << "): " << VerdictName(leak.verdict()) << ": " << LeakSummarySentence(*r) << "\n";
      if (!label.leak) {
        false_alarms += leak.verdict() == v1::LEAK_VERDICT_LEAK;
        ++non_leaks;
        no_leaks += leak.verdict() == v1::LEAK_VERDICT_NO_LEAK;
        EXPECT_EQ(leak.verdict(), v1::LEAK_VERDICT_NO_LEAK)
            << c.module << " @" << c.budget << ": " << LeakSummarySentence(*r) << "\n" << testing_support::RunTrace(*r);
        continue;
      }
      ++leaks;
      found += leak.verdict() == v1::LEAK_VERDICT_LEAK;
      EXPECT_EQ(leak.verdict(), v1::LEAK_VERDICT_LEAK)
          << c.module << " @" << c.budget << ": " << LeakSummarySentence(*r) << "\n" << testing_support::RunTrace(*r);
      // A leak confirmed by retention names its allocation site (sampled: a leak whose window
      // holds a handful of small objects, like pooled_slice_pin.js's ~60 kept slices, may get
      // no sample; it counts as wrong).
      confirmed += leak.retention().confirmed();
      // One row per place: V8 names one iteration() two ways (`iteration`, `exports.iteration`),
      // which made two STORE rows of one push line (pooled_slice_pin.js, slow_leak_strings.js),
      // and samples a helper's line in its own frame and in a caller that inlined it.
      std::set<std::string> places;
      for (const v1::AllocationSite& site : leak.allocation_sites()) {
        const std::string place = absl::StrCat(site.file(), ":", site.line(), ":", site.column(), " ",
                                               v1::AllocationPosition_Name(site.position()));
        EXPECT_TRUE(places.insert(place).second) << c.module << ": two sites at " << place;
      }
      if (leak.retention().confirmed() && leak.allocation_sites_size() == 0) {
        std::cerr << "  no allocation site: " << c.module << "\n";
      } else if (leak.retention().confirmed()) {
        ++sited;
        const v1::AllocationSite& site = leak.allocation_sites(0);
        bool right = absl::EndsWith(site.file(), absl::StrCat("/", label.site_file));
        bool line = right && label.site_lines.count(site.line()) > 0;
        sites_right += right;
        lines_right += line;
        std::cerr << "  allocation site " << site.function() << " " << site.file() << ":" << site.line() << " ("
                  << v1::AllocationPosition_Name(site.position()) << "), labelled " << label.site_file << ":"
                  << absl::StrJoin(label.site_lines, ", ")
                  << (line ? "" : right ? ": other line" : ": not in the module") << "\n";
      }
    }
  };
  std::thread a(work), b(work);
  a.join();
  b.join();
  std::cerr << "leaks found " << found << "/" << leaks << ", false alarms " << false_alarms << ", sites right "
            << sites_right << "/" << sited << ", lines right " << lines_right << "/" << sited << " of " << confirmed
            << " confirmed by retention\n";
  EXPECT_EQ(false_alarms, 0);
  std::cerr << "non-leaks decided no_leak " << no_leaks << "/" << non_leaks << "\n";
  EXPECT_EQ(found, leaks);
  // The 90% of sites and lines is the whole corpus's (CORPUS_ONLY's few cases are judged by
  // their verdicts, and their sites are listed above).
  if (only != nullptr) return;
  EXPECT_GE(sites_right * 10, sited * 9) << sites_right << " of " << sited;
  EXPECT_GE(lines_right * 10, confirmed * 9) << lines_right << " of " << confirmed << " on the labelled line";
}

}  // namespace
}  // namespace heapstorm
