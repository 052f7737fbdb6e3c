/*
 * Kafka-protocol test broker: librdkafka's mock cluster, run as a process.
 *
 * Prints the bootstrap list on the first line of stdout, then reads commands
 * from stdin, one per line:
 *   topic NAME PARTITIONS   create a topic (the mock cluster has no CreateTopics API)
 *   down BROKER_ID          drop and refuse connections (simulates an outage)
 *   up BROKER_ID            accept connections again
 *   rtt BROKER_ID MS        add round-trip latency
 * Broker IDs start at 1 (librdkafka 2.0 ignores -1, "all brokers", for these).
 * It answers "ok" or "error ..." per command and exits when stdin closes.
 *
 * Build: gcc kafka-test-broker.c -o kafka-test-broker -lrdkafka
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

int main(int argc, char **argv) {
  int brokers = argc > 1 ? atoi(argv[1]) : 1;
  char errstr[512];
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "log_level", "3", errstr, sizeof(errstr));
  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
  if (!rk) { fprintf(stderr, "rd_kafka_new: %s\n", errstr); return 1; }
  rd_kafka_mock_cluster_t *mc = rd_kafka_mock_cluster_new(rk, brokers);
  if (!mc) { fprintf(stderr, "mock cluster failed\n"); return 1; }
  printf("%s\n", rd_kafka_mock_cluster_bootstraps(mc));
  fflush(stdout);

  char line[1024];
  while (fgets(line, sizeof(line), stdin)) {
    char cmd[32], name[512];
    int a = 0, b = 0;
    rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;
    if (sscanf(line, "topic %511s %d", name, &a) == 2) {
      err = rd_kafka_mock_topic_create(mc, name, a, 1);
    } else if (sscanf(line, "down %d", &a) == 1) {
      err = rd_kafka_mock_broker_set_down(mc, a);
    } else if (sscanf(line, "up %d", &a) == 1) {
      err = rd_kafka_mock_broker_set_up(mc, a);
    } else if (sscanf(line, "rtt %d %d", &a, &b) == 2) {
      err = rd_kafka_mock_broker_set_rtt(mc, a, b);
    } else if (sscanf(line, "%31s", cmd) == 1) {
      printf("error unknown command %s\n", cmd);
      fflush(stdout);
      continue;
    } else {
      continue;
    }
    if (err) printf("error %s\n", rd_kafka_err2str(err));
    else printf("ok\n");
    fflush(stdout);
  }
  rd_kafka_mock_cluster_destroy(mc);
  rd_kafka_destroy(rk);
  return 0;
}
