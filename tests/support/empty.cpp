// Keeps opdesk_test_support non-empty while tests/support has no other source.
