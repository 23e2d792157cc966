// The C program of strata locate's accuracy corpus: handlers that each spend their time
// in one known way, run on the main thread ("single") and on a worker thread the main
// thread waits for ("multi"), beside idle and busy helper threads. Spans are written at
// the end as OTLP JSON (CORPUS_SPANS) with process.pid and no thread.id, as SDKs do.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define D_MS 40

static int reps = 3;
static const char *slow_addr, *dir;
static int pipe_in = -1, pipe_out = -1; /* FIFOs to and from an echo peer (CORPUS_FIFO_IN, _OUT) */

struct shared { pthread_mutex_t mu; volatile int gen; };
static struct shared *sh;

static int64_t now_ns(clockid_t c) {
	struct timespec ts;
	clock_gettime(c, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void sleep_ns(int64_t ns) {
	struct timespec ts = {ns / 1000000000, ns % 1000000000};
	while (nanosleep(&ts, &ts) && errno == EINTR) {}
}

/* spans */
struct span { char name[32]; int64_t start, end; };
static struct span spans[4096];
static int nspans;
static pthread_mutex_t spans_mu = PTHREAD_MUTEX_INITIALIZER;

static void record(const char *cause, const char *variant, int64_t start, int64_t end) {
	pthread_mutex_lock(&spans_mu);
	if (nspans < 4096) {
		snprintf(spans[nspans].name, sizeof spans[nspans].name, "%s/%s", cause, variant);
		spans[nspans].start = start;
		spans[nspans].end = end;
		nspans++;
	}
	pthread_mutex_unlock(&spans_mu);
}

static void write_spans(void) {
	const char *path = getenv("CORPUS_SPANS");
	FILE *f = fopen(path ? path : "spans.json", "w");
	if (!f) { perror("spans"); exit(1); }
	fprintf(f, "{\"resourceSpans\":[{\"resource\":{\"attributes\":["
		   "{\"key\":\"service.name\",\"value\":{\"stringValue\":\"corpus-c\"}},"
		   "{\"key\":\"process.pid\",\"value\":{\"intValue\":\"%d\"}}]},"
		   "\"scopeSpans\":[{\"scope\":{\"name\":\"corpus\"},\"spans\":[", getpid());
	for (int i = 0; i < nspans; i++) {
		char cause[32] = {0};
		memcpy(cause, spans[i].name, sizeof cause - 1);
		*strchr(cause, '/') = 0;
		fprintf(f, "%s{\"traceId\":\"%032x\",\"spanId\":\"%016x\",\"name\":\"%s\",\"kind\":1,"
			   "\"startTimeUnixNano\":\"%lld\",\"endTimeUnixNano\":\"%lld\","
			   "\"attributes\":[{\"key\":\"corpus.cause\",\"value\":{\"stringValue\":\"%s\"}}]}",
			i ? "," : "", i + 1, i + 1, spans[i].name, (long long)spans[i].start, (long long)spans[i].end, cause);
	}
	fprintf(f, "]}]}]}\n");
	fclose(f);
}

/* handlers */
static void do_cpu(void) {
	int64_t end = now_ns(CLOCK_THREAD_CPUTIME_ID) + D_MS * 1000000LL;
	volatile double x = 1;
	while (now_ns(CLOCK_THREAD_CPUTIME_ID) < end)
		for (int i = 0; i < 10000; i++) x = x * 1.0000001 + 1e-9; /* ~40 µs between clock reads (syscalls) */
}

static __thread int disk_fd = -1;

/* 1 MiB written over the file's start and fsync'd, at least 4 times and until D_MS have
 * passed: a fast disk makes four fsyncs a few milliseconds, shorter than a sampling period */
static void do_disk(void) {
	static char buf[1 << 20];
	if (disk_fd < 0) {
		char path[512];
		snprintf(path, sizeof path, "%s/c-%d-%d", dir, getpid(), gettid());
		disk_fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0600);
		unlink(path);
		memset(buf, 'x', sizeof buf);
	}
	int64_t end = now_ns(CLOCK_MONOTONIC) + D_MS * 1000000LL;
	for (int i = 0; i < 4 || now_ns(CLOCK_MONOTONIC) < end; i++) {
		if (pwrite(disk_fd, buf, sizeof buf, 0) < 0) break;
		fsync(disk_fd);
	}
}

static void do_sleep(void) { sleep_ns(D_MS * 1000000LL); }

static void lock_ready(void) { /* outside the span: wait until the holder has just locked */
	int g = sh->gen;
	while (sh->gen == g) sleep_ns(200000);
}

static void do_lock(void) {
	pthread_mutex_lock(&sh->mu);
	pthread_mutex_unlock(&sh->mu);
}

static void do_child(void) {
	pid_t p = fork();
	if (p == 0) {
		execlp("sleep", "sleep", "0.04", (char *)0);
		_exit(127);
	}
	int st;
	waitpid(p, &st, 0);
}

static void do_network(void) {
	char host[64];
	snprintf(host, sizeof host, "%s", slow_addr);
	char *colon = strrchr(host, ':');
	*colon = 0;
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(atoi(colon + 1))};
	inet_pton(AF_INET, host, &a.sin_addr);
	int s = socket(AF_INET, SOCK_STREAM, 0);
	if (connect(s, (struct sockaddr *)&a, sizeof a) == 0) {
		char b[8];
		if (write(s, "x\n", 2) == 2)
			while (read(s, b, sizeof b) > 0) {}
	}
	close(s);
}

static void do_pipe(void) {
	char b[8];
	if (write(pipe_in, "x\n", 2) != 2) return;
	for (int n = 0; n < 2;) { /* "x\n" comes back */
		int r = read(pipe_out, b, sizeof b);
		if (r <= 0) return;
		n += r;
	}
}

struct handler { const char *cause; void (*run)(void); void (*before)(void); };
static struct handler handlers[] = {
	{"cpu", do_cpu, 0}, {"disk", do_disk, 0}, {"sleep", do_sleep, 0}, {"lock", do_lock, lock_ready},
	{"child", do_child, 0}, {"network", do_network, 0}, {"pipe", do_pipe, 0},
};

static void run_handler(struct handler *h, const char *variant) {
	if (h->before) h->before();
	int64_t start = now_ns(CLOCK_REALTIME);
	h->run();
	record(h->cause, variant, start, now_ns(CLOCK_REALTIME));
}

/* the worker of the multi-threaded variant */
static pthread_mutex_t wmu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wcv = PTHREAD_COND_INITIALIZER;
static struct handler *job;
static int job_done;

static void *worker(void *arg) {
	(void)arg;
	for (;;) {
		pthread_mutex_lock(&wmu);
		while (!job) pthread_cond_wait(&wcv, &wmu);
		struct handler *h = job;
		pthread_mutex_unlock(&wmu);
		run_handler(h, "multi");
		pthread_mutex_lock(&wmu);
		job = 0;
		job_done = 1;
		pthread_cond_broadcast(&wcv);
		pthread_mutex_unlock(&wmu);
	}
	return 0;
}

/* helpers: idle in select on a pipe nobody writes, idle in a condition wait, a ticker
 * whose poll times out every 25 ms, and a poller woken every 20 ms by a pinger */
static int idle_pipe[2], ping_pipe[2];
static void *idle_select(void *a) { (void)a; fd_set r; FD_ZERO(&r); FD_SET(idle_pipe[0], &r); select(idle_pipe[0] + 1, &r, 0, 0, 0); return 0; }
static pthread_mutex_t imu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t icv = PTHREAD_COND_INITIALIZER;
static void *idle_cond(void *a) { (void)a; pthread_mutex_lock(&imu); for (;;) pthread_cond_wait(&icv, &imu); return 0; }
static void *ticker(void *a) { (void)a; for (;;) poll(0, 0, 25); return 0; }
static void *pinger(void *a) { (void)a; for (;;) { sleep_ns(20000000); if (write(ping_pipe[1], "p", 1) < 0) return 0; } }
static void *poller(void *a) {
	(void)a;
	char b[16];
	for (;;) {
		struct pollfd p = {ping_pipe[0], POLLIN, 0};
		poll(&p, 1, -1);
		if (read(ping_pipe[0], b, sizeof b) <= 0) return 0;
	}
}

static void open_fifos(void) {
	const char *in = getenv("CORPUS_FIFO_IN"), *out = getenv("CORPUS_FIFO_OUT");
	if (!in || !out) { fprintf(stderr, "CORPUS_FIFO_IN and CORPUS_FIFO_OUT are not set\n"); exit(2); }
	pipe_in = open(in, O_WRONLY);
	pipe_out = open(out, O_RDONLY);
	if (pipe_in < 0 || pipe_out < 0) { perror("fifo"); exit(1); }
}

static void start_holder(void) {
	sh = mmap(0, sizeof *sh, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	pthread_mutexattr_t at;
	pthread_mutexattr_init(&at);
	pthread_mutexattr_setpshared(&at, PTHREAD_PROCESS_SHARED);
	pthread_mutex_init(&sh->mu, &at);
	if (fork() == 0) { /* holds the lock D of every D+5 ms until its parent goes */
		while (getppid() != 1) {
			pthread_mutex_lock(&sh->mu);
			sh->gen++;
			sleep_ns(D_MS * 1000000LL);
			pthread_mutex_unlock(&sh->mu);
			sleep_ns(5000000);
		}
		_exit(0);
	}
}

int main(void) {
	reps = atoi(getenv("CORPUS_REPS") ? getenv("CORPUS_REPS") : "3");
	slow_addr = getenv("CORPUS_SLOW");
	dir = getenv("CORPUS_DIR") ? getenv("CORPUS_DIR") : "/tmp";
	if (!slow_addr) { fprintf(stderr, "CORPUS_SLOW is not set\n"); return 2; }
	start_holder();
	open_fifos();
	if (pipe(idle_pipe) || pipe(ping_pipe)) return 1;
	pthread_t t;
	void *(*helpers[])(void *) = {idle_select, idle_cond, ticker, pinger, poller, worker};
	for (unsigned i = 0; i < sizeof helpers / sizeof helpers[0]; i++) pthread_create(&t, 0, helpers[i], 0);
	for (int r = 0; r < reps; r++) {
		for (unsigned i = 0; i < sizeof handlers / sizeof handlers[0]; i++) {
			run_handler(&handlers[i], "single");
			sleep_ns(5000000);
			pthread_mutex_lock(&wmu);
			job = &handlers[i];
			job_done = 0;
			pthread_cond_broadcast(&wcv);
			while (!job_done) pthread_cond_wait(&wcv, &wmu);
			pthread_mutex_unlock(&wmu);
			sleep_ns(5000000);
		}
	}
	write_spans();
	close(pipe_in);
	return 0;
}
