// opdesk executable entry point: all logic lives in opdesk_app (src/app/cli.cpp).
#include "cli.hpp"

int main(int argc, char** argv) {
  return opdesk::app::run_cli(argc, argv);
}
