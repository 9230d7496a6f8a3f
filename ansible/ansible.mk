# ansible/: the playbook that rolls prism out to the four roles (issue 12).
#   make e2e     the playbook against five booted Debian 12 containers
#                (tests/e2e/ansible/test_ansible.sh; root; ~10 minutes once
#                the base image is cached under /var/tmp/prism-images)
# `make check` runs the static checks (syntax, ansible-lint production
# profile, the scrape configuration the monitor role renders).
ifndef PRISM_ANSIBLE_MK
PRISM_ANSIBLE_MK := 1
TESTS += tests/e2e/ansible/test_playbook.sh
TESTS_NOSAN += tests/e2e/ansible/test_playbook.sh

.PHONY: e2e
e2e: deps all
	@BUILD_DIR=$(abspath $(BUILD)) SRC_DIR=$(CURDIR) TEST_TIMEOUT=$${TEST_TIMEOUT:-1500} \
		tests/run.sh tests/e2e/ansible/test_ansible.sh
endif
