// Replays every file of the directories named on the command line (or in
// $FUZZ_CORPUS_DIRS, space-separated, relative to the runfiles) through
// LLVMFuzzerTestOneInput, so a fuzz corpus is a regression test in normal CI without
// libFuzzer. Fails when no input was found.
#include <dirent.h>
#include <sys/stat.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

int ReplayDirectory(const std::string& dir) {
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) {
    std::fprintf(stderr, "cannot open corpus directory %s\n", dir.c_str());
    return -1;
  }
  int count = 0;
  while (dirent* entry = readdir(d)) {
    std::string path = dir + "/" + entry->d_name;
    struct stat st;
    if (stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    std::ifstream in(path, std::ios::binary);
    std::stringstream buffer;
    buffer << in.rdbuf();
    std::string bytes = buffer.str();
    LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
    ++count;
  }
  closedir(d);
  return count;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> dirs(argv + 1, argv + argc);
  int total = 0;
  for (const std::string& dir : dirs) {
    int n = ReplayDirectory(dir);
    if (n < 0) return 1;
    std::printf("replayed %d inputs from %s\n", n, dir.c_str());
    total += n;
  }
  if (total == 0) {
    std::fprintf(stderr, "no corpus inputs found\n");
    return 1;
  }
  return 0;
}
