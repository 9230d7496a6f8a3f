"""orderd-profile-cats.py US_PER_GET < perf script output: orderd's CPU
samples (perf script -F comm,tid,ip,sym,dso, with call chains) put into a
few buckets by the frames of each sample's stack, printed as a share of all
samples and as microseconds of the measured CPU per GET.  Buckets: the DB
round trip on the worker (send, wait, read, libmariadb), HTTP I/O on the
libmicrohttpd threads, the thread hand-offs between them (job queue futex,
resume through MHD's inter-thread channel and epoll re-arm), JSON, and
allocation.  A stack whose unwinding stopped early lands in "other".
"""
import sys, collections, re
# perf script output: header line "comm tid ..." then frames "\t addr sym (dso)" then blank
cats = collections.Counter(); total = 0
def classify(comm, frames):
    syms = [f[0] for f in frames]   # leaf first
    dsos = [f[1] for f in frames]
    s = " ".join(syms)
    def has(*names): return any(n in s for n in names)
    if has("worker_main", "order_load", "stmt_exec"):
        if has("mysql_stmt_execute", "mysql_stmt_fetch", "mysql_stmt_store_result", "mysql_stmt_reset", "stmt_exec"):
            if has("__x64_sys_poll", "__poll"): return "worker: DB reply wait (poll: sleep/wake, scheduler)"
            if has("__x64_sys_sendto", "__send", "__libc_send"): return "worker: DB query send (loopback TCP, incl. waking mariadbd)"
            if has("__x64_sys_recvfrom", "__libc_recv", "recv"): return "worker: DB reply read (recv)"
            if has("malloc", "free"): return "worker: alloc inside libmariadb"
            return "worker: libmariadb user space (protocol, binds)"
        if has("order_json", "buf_", "json_put", "printf", "_itoa", "_IO_", "strchrnul"):
            return "worker: JSON formatting (buf_printf)"
        if has("MHD_resume_connection", "http_request_resume"): return "hand-off: worker resumes request (ITC write, MHD mutex)"
        if has("sem_wait", "futex_wait", "__new_sem"): return "hand-off: worker waits for a job (futex)"
        if has("malloc", "free"): return "worker: alloc"
        if has("histogram", "counter"): return "worker: metrics"
        if has("ring_", "job_", "db_job"): return "worker: job ring and bookkeeping"
        return "worker: other"
    if comm.startswith("MHD") or has("MHD_", "access_cb") or any("microhttpd" in d for d in dsos):
        if has("__x64_sys_epoll_wait", "epoll_wait"): return "MHD: epoll_wait (sleep/wake, scheduler)"
        if has("__x64_sys_epoll_ctl", "epoll_ctl"): return "MHD: epoll_ctl (suspend/resume re-arm)"
        if has("sem_post", "futex_wake"): return "hand-off: handler queues job (sem_post futex wake)"
        if has("__x64_sys_sendmsg", "__x64_sys_sendto", "sendmsg", "__send"): return "MHD: HTTP send (loopback TCP, incl. delivery to wrk)"
        if has("__x64_sys_recvfrom", "__libc_recv", "recv"): return "MHD: HTTP receive"
        if has("__x64_sys_read", "__x64_sys_write", "eventfd", "__GI___libc_write", "__libc_read"): return "MHD: ITC read/write (resume signalling)"
        if has("h_order_get", "http_request_route", "api_"): return "MHD: orderd handler (route, validate, job)"
        if has("histogram", "counter_"): return "MHD: metrics"
        if has("uri_log_cb", "completed_cb", "access_cb", "http_"): return "MHD: prism glue (access/completed/uri callbacks)"
        if has("malloc", "free", "memset", "calloc"): return "MHD: alloc/memset"
        return "MHD: libmicrohttpd internals (parse, state machine)"
    return "other threads"
comm = None; frames = []
def flush():
    global total
    if comm is not None:
        cats[classify(comm, frames)] += 1; total += 1
for line in sys.stdin:
    if not line.strip():
        flush(); comm = None; frames = []; continue
    if not line.startswith((" ", "\t")):
        flush(); comm = line.split()[0]; frames = []; continue
    m = re.match(r"\s*[0-9a-f]+\s+(.*?)\s+\((.*)\)\s*$", line)
    if m: frames.append((m.group(1), m.group(2)))
flush()
us = float(sys.argv[1]) if len(sys.argv) > 1 else 0
for k, v in sorted(cats.items(), key=lambda kv: (kv[0].split(':')[0], -kv[1])):
    print("%5.1f%%  %5.1f us  %s" % (100.0 * v / total, us * v / total, k))
print("samples", total)
