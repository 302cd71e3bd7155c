/*
 * A Kafka cluster for tests and benchmarks: librdkafka's built-in mock cluster
 * (rdkafka_mock.h), which speaks the Kafka protocol on loopback with in-memory
 * topics, consumer groups and committed offsets. No JVM, no ZooKeeper.
 *
 *   kafka-mock [--brokers N] <topic>[:<partitions>] ...
 *
 * Creates the topics (partitions default 1, replication 1), prints the bootstrap
 * address (`127.0.0.1:port[,...]`) on one line of stdout, then stays up until
 * stdin closes or SIGTERM/SIGINT arrives. The launcher (index.ts) keeps stdin as
 * a pipe, so the cluster dies with its parent even after a SIGKILL.
 *
 * Topics are created here because the mock refuses kafkajs' admin calls
 * (CreateTopics) and its idempotent producer (InitProducerId).
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

static volatile sig_atomic_t stop_requested = 0;

static void on_signal(int sig) {
    (void)sig;
    stop_requested = 1;
}

static int create_topic(rd_kafka_mock_cluster_t *mc, const char *spec) {
    char name[256];
    int partitions = 1;
    const char *colon = strrchr(spec, ':');
    size_t len = colon ? (size_t)(colon - spec) : strlen(spec);
    if (len == 0 || len >= sizeof(name)) {
        fprintf(stderr, "kafka-mock: bad topic '%s'\n", spec);
        return -1;
    }
    memcpy(name, spec, len);
    name[len] = '\0';
    if (colon) {
        char *end = NULL;
        long n = strtol(colon + 1, &end, 10);
        if (*end != '\0' || n < 1 || n > 1000) {
            fprintf(stderr, "kafka-mock: bad partition count in '%s'\n", spec);
            return -1;
        }
        partitions = (int)n;
    }
    rd_kafka_resp_err_t err = rd_kafka_mock_topic_create(mc, name, partitions, 1);
    if (err) {
        fprintf(stderr, "kafka-mock: cannot create topic '%s': %s\n", name, rd_kafka_err2str(err));
        return -1;
    }
    return 0;
}

int main(int argc, char **argv) {
    int brokers = 1;
    int first = 1;
    if (argc > 2 && strcmp(argv[1], "--brokers") == 0) {
        brokers = atoi(argv[2]);
        if (brokers < 1 || brokers > 16) {
            fprintf(stderr, "kafka-mock: --brokers expects 1-16\n");
            return 2;
        }
        first = 3;
    }

    char errstr[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    /* Quiet: the mock logs every connection at the default level. */
    if (rd_kafka_conf_set(conf, "log_level", "3", errstr, sizeof(errstr)) != RD_KAFKA_CONF_OK) {
        fprintf(stderr, "kafka-mock: %s\n", errstr);
        return 2;
    }
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
    if (!rk) {
        fprintf(stderr, "kafka-mock: rd_kafka_new: %s\n", errstr);
        return 2;
    }
    rd_kafka_mock_cluster_t *mc = rd_kafka_mock_cluster_new(rk, brokers);
    if (!mc) {
        fprintf(stderr, "kafka-mock: rd_kafka_mock_cluster_new failed\n");
        rd_kafka_destroy(rk);
        return 2;
    }
    for (int i = first; i < argc; i++) {
        if (create_topic(mc, argv[i]) != 0) {
            rd_kafka_mock_cluster_destroy(mc);
            rd_kafka_destroy(rk);
            return 2;
        }
    }

    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    printf("%s\n", rd_kafka_mock_cluster_bootstraps(mc));
    fflush(stdout);

    struct pollfd pfd = {.fd = STDIN_FILENO, .events = POLLIN};
    char buf[256];
    while (!stop_requested) {
        int r = poll(&pfd, 1, 500);
        if (r < 0) {
            if (errno == EINTR) continue;
            break;
        }
        if (r == 0) continue;
        ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));
        if (n == 0) break; /* stdin closed: the parent is gone */
        if (n < 0 && errno != EINTR && errno != EAGAIN) break;
    }

    rd_kafka_mock_cluster_destroy(mc);
    rd_kafka_destroy(rk);
    return 0;
}
