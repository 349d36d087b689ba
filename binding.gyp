# The prebuild's build (npm run prebuild: prebuildify runs node-gyp over this file). It compiles
# what native/sources.json lists, the list CMakeLists.txt (npm run build:native) reads too, into
# the same files: build/Release/diffqp.node, one plugin per optional solver, diffqp_KEY.so, and
# the Clp plugin's worker executable (diffqp_clp_qp), where Clp's QP solves run.
# scripts/sources.js turns the list into what gyp needs.
{
  'variables': {
    'highs': '<!(node scripts/sources.js highs)',
  },
  'target_defaults': {
    'include_dirs': [
      '<!@(node scripts/sources.js include-dirs)',
      '<!(node scripts/sources.js suitesparse-include)',
    ],
    # As CMake's Release build: -O3, assertions off, C99 and C++17 with exceptions and RTTI.
    'defines': ['NDEBUG'],
    'cflags': ['-fPIC', '-Wall', '-Wextra', '-O3'],
    'cflags_c': ['-std=c99'],
    'cflags!': ['-fno-exceptions'],
    'cflags_cc!': ['-fno-exceptions', '-fno-rtti', '-std=gnu++17'],
    'cflags_cc': ['-std=c++17', '-fexceptions', '-frtti'],
  },
  'targets': [
    {
      'target_name': 'diffqp',
      'sources': ['<!@(node scripts/sources.js addon)'],
      'include_dirs': [
        '<!(node -p "require(\'node-addon-api\').include_dir")',
        '<(highs)/include',
        '<(highs)/include/highs',
      ],
      'defines': [
        '<!@(node scripts/sources.js builtin-defines)',
        'NAPI_VERSION=8',
        'NAPI_CPP_EXCEPTIONS',
        'NODE_ADDON_API_DISABLE_DEPRECATED',
      ],
      'libraries': [
        '<(highs)/lib/libhighs.a',
        '<!@(node scripts/sources.js suitesparse-libs)',
        '-lz',
        '-lpthread',
        '-ldl',
        '-lm',
      ],
      # HiGHS's static symbols stay private to the addon (as in CMakeLists.txt).
      'ldflags': ['-Wl,--exclude-libs,ALL'],
      'dependencies': ['diffqp_ipopt', 'diffqp_clp'],
    },
    {
      'target_name': 'diffqp_ipopt',
      'type': 'shared_library',
      'product_extension': 'so',
      'product_dir': '<(PRODUCT_DIR)',
      'sources': ['<!@(node scripts/sources.js plugin ipopt)'],
      'defines': ['DIFFQP_PLUGIN_ENTRY=<!(node scripts/sources.js entry ipopt)'],
      'cflags': ['<!@(pkg-config --cflags <!(node scripts/sources.js pkg-config ipopt))'],
      'libraries': ['<!@(pkg-config --libs <!(node scripts/sources.js pkg-config ipopt))'],
      'ldflags': ['-Wl,--exclude-libs,ALL', '-Wl,--no-undefined'],
    },
    {
      'target_name': 'diffqp_clp',
      'type': 'shared_library',
      'product_extension': 'so',
      'product_dir': '<(PRODUCT_DIR)',
      'sources': ['<!@(node scripts/sources.js plugin clp)'],
      'defines': ['DIFFQP_PLUGIN_ENTRY=<!(node scripts/sources.js entry clp)'],
      'cflags': ['<!@(pkg-config --cflags <!(node scripts/sources.js pkg-config clp))'],
      'libraries': ['<!@(pkg-config --libs <!(node scripts/sources.js pkg-config clp))'],
      'ldflags': ['-Wl,--exclude-libs,ALL', '-Wl,--no-undefined'],
      'dependencies': ['diffqp_clp_qp'],
    },
    {
      # The name native/sources.json gives plugins.clp.worker (clp_process.cpp looks for it).
      'target_name': 'diffqp_clp_qp',
      'type': 'executable',
      'product_dir': '<(PRODUCT_DIR)',
      'sources': ['<!@(node scripts/sources.js worker clp)'],
      'cflags': ['<!@(pkg-config --cflags <!(node scripts/sources.js pkg-config clp))'],
      'libraries': ['<!@(pkg-config --libs <!(node scripts/sources.js pkg-config clp))'],
    },
  ],
}
