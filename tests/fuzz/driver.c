/*
 * driver - run a fuzz target over a corpus without libFuzzer.
 *
 * Every harness under tests/fuzz/ defines LLVMFuzzerTestOneInput(); linked
 * with this file it becomes a regression test that feeds each file of the
 * given directories (or files) to the target once, so `make check` replays
 * the corpus under ASan/UBSan.  `make fuzz` links the same harness with
 * clang's -fsanitize=fuzzer instead for real fuzzing.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* run_file - feed one file to the target */
static int
run_file(const char *path)
{
	FILE *fp;
	uint8_t *buf;
	long len;

	if ((fp = fopen(path, "rb")) == NULL) {
		perror(path);
		return (-1);
	}
	if (fseek(fp, 0, SEEK_END) != 0 || (len = ftell(fp)) < 0 ||
	    fseek(fp, 0, SEEK_SET) != 0) {
		perror(path);
		fclose(fp);
		return (-1);
	}
	buf = malloc(len ? (size_t)len : 1);
	if (buf == NULL || fread(buf, 1, (size_t)len, fp) != (size_t)len) {
		perror(path);
		free(buf);
		fclose(fp);
		return (-1);
	}
	fclose(fp);
	LLVMFuzzerTestOneInput(buf, (size_t)len);
	free(buf);
	return (0);
}

/* run_path - a file, or every regular file in a directory */
static int
run_path(const char *path, int *count)
{
	struct stat st;
	struct dirent *de;
	DIR *dir;
	char sub[4096];

	if (stat(path, &st) != 0) {
		perror(path);
		return (-1);
	}
	if (!S_ISDIR(st.st_mode)) {
		++*count;
		return (run_file(path));
	}
	if ((dir = opendir(path)) == NULL) {
		perror(path);
		return (-1);
	}
	while ((de = readdir(dir)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name);
		if (run_path(sub, count) != 0) {
			closedir(dir);
			return (-1);
		}
	}
	closedir(dir);
	return (0);
}

int
main(int argc, char **argv)
{
	int count = 0;

	for (int i = 1; i < argc; i++)
		if (run_path(argv[i], &count) != 0)
			return (1);
	/* also the empty input, which every parser must survive */
	LLVMFuzzerTestOneInput((const uint8_t *)"", 0);
	printf("%d passed, 0 failed\n", count + 1);
	return (0);
}
